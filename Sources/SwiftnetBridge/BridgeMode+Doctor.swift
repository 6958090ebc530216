import SwiftnetDiagnosis
import SwiftnetNetworkModel

extension BridgeMode {
    /// Its bridges and its endpoints' host veths.
    package func ownedLinks(networks: [NetworkRecord], endpoints: [EndpointRecord]) -> Set<String> {
        Set(networks.map(\.bridge)).union(endpoints.map(\.hostVeth))
    }

    /// The bridges, for their gateway addresses.
    package func addressedLinks(of networks: [NetworkRecord]) -> Set<String> {
        Set(networks.map(\.bridge))
    }

    /// Bridges and veths against the records, and `enable_icc=false` networks whose bridged
    /// traffic iptables does not see.
    package func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink], owned: Set<String>,
                          bootID: String) -> [Finding] {
        Diagnosis.findings(networks: networks, endpoints: endpoints, links: links, bootID: bootID, linkGroup: dataplane.group,
                           ownedElsewhere: owned)
            + Diagnosis.findings(networks: networks, bridgeNetfilter: dataplane.bridgeNetfilterStatus())
    }
}
