import SwiftnetDiagnosis
import SwiftnetNetworkModel

extension SwiftnetDriver {
    /// The records the firewall is rendered from: what each mode contributes of its networks
    /// and endpoints (see `NetworkMode.firewallRecords`). `links`: a fresh view of the kernel
    /// (the doctor's), or nil for what the last reconciliation found.
    func firewallRecords(_ state: DriverState, links: [String: ObservedLink]? = nil)
        -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        var networks: [NetworkRecord] = []
        var endpoints: [EndpointRecord] = []
        for mode in modes.all {
            let own = state.records(of: mode.driverMode)
            let rendered = mode.firewallRecords(networks: own.networks, endpoints: own.endpoints, links: links)
            networks += rendered.networks
            endpoints += rendered.endpoints
        }
        return (networks, endpoints)
    }

    /// Renders and applies the firewall for `state` after a change of the records (without
    /// reading the tables back when this process installed the last state; start-up and
    /// `doctor --fix` read them, see `reapplyFirewall`). Returns 0 when nothing changed, else at
    /// least 1 (a patched family counts 1, however many rules it changed).
    ///
    /// The endpoint table is handed over as it is rather than copied record by record as
    /// `firewallRecords` does: this runs on every container start and stop.
    @discardableResult
    func applyFirewall(_ state: DriverState) throws -> Int {
        try firewall.applyChange(networks: firewallNetworks(state), endpointTable: state.endpoints)
    }

    /// `applyFirewall` after `previous` became `updated` in `state` and nothing else the
    /// firewall renders changed since the last apply (every other change of the records that
    /// the firewall renders is followed by `applyFirewall`): the firewall may change that
    /// endpoint's rules alone.
    @discardableResult
    func applyFirewall(_ state: DriverState, replacing previous: EndpointRecord, with updated: EndpointRecord) throws -> Int {
        try firewall.applyChange(networks: firewallNetworks(state), endpointTable: state.endpoints, replacing: previous, with: updated)
    }

    private func firewallNetworks(_ state: DriverState) -> [NetworkRecord] {
        var networks: [NetworkRecord] = []
        for mode in modes.all {
            let own = state.networks.values.filter { $0.mode == mode.driverMode }
            // Modes choose networks; their endpoints are those of the networks chosen.
            networks += mode.firewallRecords(networks: own, endpoints: [], links: nil).networks
        }
        return networks
    }
}
