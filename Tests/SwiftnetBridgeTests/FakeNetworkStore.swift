import SwiftnetBridge
import SwiftnetNetworkModel
import Synchronization

/// The driver's records in memory (as CNI's `fake_store.go` keeps the allocator's), with a log
/// of every commit and failures on demand.
final class FakeNetworkStore: NetworkStore {
    struct Contents {
        var networks: [String: NetworkRecord] = [:]
        var endpoints: [String: EndpointRecord] = [:]
        /// Fails every commit containing a change this returns true for.
        var failing: (@Sendable (NetworkChange) -> Bool)?
    }

    let contents: Mutex<Contents>
    let log: EventLog

    init(networks: [NetworkRecord] = [], endpoints: [EndpointRecord] = [], log: EventLog) {
        var contents = Contents()
        for network in networks { contents.networks[network.id] = network }
        for endpoint in endpoints { contents.endpoints[endpoint.id] = endpoint }
        self.contents = Mutex(contents)
        self.log = log
    }

    func loadNetworks() throws -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        contents.withLock { (Array($0.networks.values), Array($0.endpoints.values)) }
    }

    func commit(_ change: NetworkChange) throws {
        try commit([change])
    }

    func commit(_ changes: [NetworkChange]) throws {
        try contents.withLock { contents in
            if let failing = contents.failing, changes.contains(where: failing) {
                throw InjectedFailure(what: "store commit")
            }
            for change in changes {
                switch change {
                case .putNetwork(let network):
                    contents.networks[network.id] = network
                    log.append("store put network \(network.id.prefix(4)) \(network.state.rawValue)")
                case .deleteNetwork(let id):
                    contents.networks[id] = nil
                    log.append("store delete network \(id.prefix(4))")
                case .putEndpoint(let endpoint):
                    contents.endpoints[endpoint.id] = endpoint
                    log.append("store put endpoint \(endpoint.id.prefix(4)) \(endpoint.state.rawValue)")
                case .deleteEndpoint(let id):
                    contents.endpoints[id] = nil
                    log.append("store delete endpoint \(id.prefix(4))")
                }
            }
        }
    }

    var networks: [String: NetworkRecord] { contents.withLock { $0.networks } }
    var endpoints: [String: EndpointRecord] { contents.withLock { $0.endpoints } }

    func failCommits(where failing: (@Sendable (NetworkChange) -> Bool)?) {
        contents.withLock { $0.failing = failing }
    }
}
