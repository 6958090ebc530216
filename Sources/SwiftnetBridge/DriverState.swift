import SwiftnetNetworkModel
import SwiftnetLANModel

/// The driver's records as they stand, guarded by its lock: what the store holds, in memory.
package struct DriverState: Sendable {
    package var networks: [String: NetworkRecord] = [:]
    package var endpoints = EndpointTable()
    /// Where the next search for any host port starts; memory only, not in the store.
    var portHints = EphemeralPortHints()

    package init(networks: [NetworkRecord] = [], endpoints: [EndpointRecord] = []) {
        for network in networks { self.networks[network.id] = network }
        for endpoint in endpoints { self.endpoints[endpoint.id] = endpoint }
    }

    /// The `sequence` of a network created now: above every network's held.
    package var nextNetworkSequence: Int {
        (networks.values.lazy.map(\.sequence).max() ?? 0) + 1
    }

    /// Endpoint `id` if it is on network `networkID` and not being deleted: a call naming it
    /// with another network (dockerd never sends one) acts on nothing, as for an unknown id.
    package func liveEndpoint(_ id: String, on networkID: String) -> EndpointRecord? {
        guard let endpoint = endpoints[id], endpoint.networkID == networkID, endpoint.state != .deleting else { return nil }
        return endpoint
    }

    /// Endpoints of `networkID` that are not being deleted: one being deleted has lost its
    /// rules already and only waits for the batch delete of its links, so its ports and its
    /// MAC are free for the next container.
    package func liveEndpoints(of networkID: String? = nil) -> [EndpointRecord] {
        endpoints.values.filter { $0.state != .deleting && (networkID == nil || $0.networkID == networkID) }
    }

    /// Networks of `mode`, and their endpoints.
    package func records(of mode: DriverMode) -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        let networks = self.networks.values.filter { $0.mode == mode }
        let ids = Set(networks.map(\.id))
        return (networks, endpoints.values.filter { ids.contains($0.networkID) })
    }
}
