import SwiftnetDiagnosis
import SwiftnetLANModel
import SwiftnetNetworkModel

/// A mode this server was not started for (overlay without `--etcd-endpoints`): new networks
/// are refused with `reason`; networks of that mode recorded earlier keep their bridge and
/// endpoints as the bridge mode keeps them, so nothing of theirs is deleted while the server
/// runs without what the mode needs.
package struct UnconfiguredMode: NetworkMode {
    package let mode: DriverMode
    package let reason: String
    let bridge: BridgeMode

    package init(mode: DriverMode, reason: String, bridge: BridgeMode) {
        self.mode = mode
        self.reason = reason
        self.bridge = bridge
    }

    package var driverMode: DriverMode { mode }

    package func networkRecord(for request: SwiftnetDriver.NetworkRequest) throws -> NetworkRecord {
        throw DriverError.modeUnavailable(mode.rawValue, reason: reason)
    }
    package func admit(_ network: NetworkRecord, records: DriverState) throws -> NetworkRecord {
        throw DriverError.modeUnavailable(mode.rawValue, reason: reason)
    }
    package func createNetworkLinks(_ network: NetworkRecord) throws {
        throw DriverError.modeUnavailable(mode.rawValue, reason: reason)
    }
    package func deleteNetworkLinks(_ network: NetworkRecord, records: DriverState) throws -> [String] {
        try bridge.deleteNetworkLinks(network, records: records)
    }
    package func endpointLinkNames(endpointID: String) throws -> EndpointLinkNames { try bridge.endpointLinkNames(endpointID: endpointID) }
    package func takesMAC(on network: NetworkRecord) -> Bool { true }
    package func admitEndpoint(on network: NetworkRecord, records: DriverState, requestsMAC: Bool) throws {
        throw DriverError.modeUnavailable(mode.rawValue, reason: reason)
    }
    package func createEndpointLinks(_ endpoint: EndpointRecord, on network: NetworkRecord) throws {
        throw DriverError.modeUnavailable(mode.rawValue, reason: reason)
    }
    package func deleteEndpointLinks(_ endpoint: EndpointRecord) throws -> Bool { try bridge.deleteEndpointLinks(endpoint) }
    package func retireEndpointLinks(_ endpoint: EndpointRecord) throws { try bridge.retireEndpointLinks(endpoint) }
    package func deleteRetiredLinks() throws { try bridge.deleteRetiredLinks() }
    package func goneReason(_ endpoint: EndpointRecord, links: [String: ObservedLink], now: Int) -> String? {
        bridge.goneReason(endpoint, links: links, now: now)
    }
    package func joinAnswer(for endpoint: EndpointRecord, on network: NetworkRecord) -> JoinAnswer {
        bridge.joinAnswer(for: endpoint, on: network)
    }
    package func publishesPorts(on network: NetworkRecord) -> Bool { true }
    package func portsPublished(_ endpoint: EndpointRecord) { bridge.portsPublished(endpoint) }
    package func firewallRecords(networks: [NetworkRecord], endpoints: [EndpointRecord],
                                 links: [String: ObservedLink]?) -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        bridge.firewallRecords(networks: networks, endpoints: endpoints, links: links)
    }
    package func repairNetwork(_ network: NetworkRecord) -> [Repair] { bridge.repairNetwork(network) }
    package func repairEndpoints(_ endpoints: [EndpointRecord], of network: NetworkRecord, links: [String: ObservedLink]) -> [Repair] {
        bridge.repairEndpoints(endpoints, of: network, links: links)
    }
    package func ownedLinks(networks: [NetworkRecord], endpoints: [EndpointRecord]) -> Set<String> {
        bridge.ownedLinks(networks: networks, endpoints: endpoints)
    }
    package func deleteLeftovers(links: [String: ObservedLink], owned: Set<String>, records: DriverState) -> [Repair] { [] }
    package func addressedLinks(of networks: [NetworkRecord]) -> Set<String> { bridge.addressedLinks(of: networks) }
    package func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink], owned: Set<String>,
                          bootID: String) -> [Finding] {
        bridge.findings(ofOwn: networks, endpoints: endpoints, links: links, owned: owned, bootID: bootID)
    }
}
