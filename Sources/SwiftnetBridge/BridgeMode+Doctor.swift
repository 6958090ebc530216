import SwiftnetDiagnosis
import SwiftnetNetworkModel

extension BridgeMode {
    /// The bridges, for their gateway addresses.
    package func addressedLinks(of networks: [NetworkRecord]) -> Set<String> {
        Set(networks.map(\.bridge))
    }

    /// Bridges and veths against the records, and `enable_icc=false` networks whose bridged
    /// traffic iptables does not see.
    package func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink],
                          bootID: String) -> [Finding] {
        Diagnosis.findings(networks: networks, endpoints: endpoints, links: links, bootID: bootID, linkGroup: dataplane.group)
            + Diagnosis.findings(networks: networks, bridgeNetfilter: dataplane.bridgeNetfilterStatus())
    }
}
