import SwiftnetNetworkModel

extension BridgeDriver.State {
    /// Endpoints of `networkID` that are not being deleted: one being deleted has lost its
    /// rules already and only waits for the batch delete of its veth, so its ports and its
    /// MAC are free for the next container.
    func liveEndpoints(of networkID: String? = nil) -> [EndpointRecord] {
        endpoints.values.filter { $0.state != .deleting && (networkID == nil || $0.networkID == networkID) }
    }

    /// The records the firewall is rendered from: every network except those whose bridge
    /// name the last reconciliation found taken by a link swiftnet did not make, and their
    /// endpoints. Rules name interfaces, so rules for such a network would decide the traffic
    /// of someone else's interface (`-i lan0 ! -o lan0 -j ACCEPT` first in FORWARD would
    /// forward the host's LAN past its DROP policy).
    var firewallRecords: (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        let networks = self.networks.values.filter { !takenBridges.contains($0.id) }
        let ids = Set(networks.map(\.id))
        return (networks, endpoints.values.filter { ids.contains($0.networkID) })
    }
}

extension BridgeDriver {
    /// Renders and applies the firewall for `state` (see `State.firewallRecords`). Returns
    /// how many rules and jumps differed.
    @discardableResult
    func applyFirewall(_ state: State) throws -> Int {
        let records = state.firewallRecords
        return try firewall.apply(networks: records.networks, endpoints: records.endpoints)
    }
}
