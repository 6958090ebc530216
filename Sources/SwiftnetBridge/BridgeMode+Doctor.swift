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
            + Diagnosis.findings(ipv6Networks: networks.filter(BridgeMode.forwardsIPv6), forwarding: dataplane.ipv6ForwardingEnabled())
    }
}

extension BridgeMode {
    /// The bridge's findings about `networks` and their endpoints only, for modes built on
    /// bridges: findings about no network of theirs (leftover links) are the bridge mode's own
    /// to report, once.
    package func findings(ofOwn networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink], owned: Set<String>,
                          bootID: String) -> [Finding] {
        guard !networks.isEmpty else { return [] }
        let networkIDs = Set(networks.map(\.id))
        let endpointIDs = Set(endpoints.map(\.id))
        return findings(networks: networks, endpoints: endpoints, links: links, owned: owned, bootID: bootID).filter { finding in
            finding.networkID.map(networkIDs.contains) ?? finding.endpointID.map(endpointIDs.contains) ?? false
        }
    }
}
