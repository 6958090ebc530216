/// What swiftnet holds, as operators see it: the one model behind `GET /state`, `swiftnet ls`,
/// `inspect` and `pools`, built from the records by the server (or by the CLI from the state
/// file when no server runs) and carried as JSON between the two. The JSON shape is
/// documented in docs/operator.md; keys are only ever added.
package struct StateView: Sendable, Equatable {
    /// Bumped only if a key changes meaning or goes away.
    package static let formatVersion = 1

    package var server: ServerInfo
    package var networks: [NetworkView]
    package var endpoints: [EndpointView]
    package var pools: [PoolView]
    /// Endpoints of multi-host networks on other hosts, as this host's watcher holds them
    /// (empty without etcd, or when the CLI read the state file itself).
    package var remoteEndpoints: [RemoteEndpointView]

    package init(server: ServerInfo, networks: [NetworkView], endpoints: [EndpointView], pools: [PoolView],
                 remoteEndpoints: [RemoteEndpointView] = []) {
        self.server = server
        self.networks = networks
        self.endpoints = endpoints
        self.pools = pools
        self.remoteEndpoints = remoteEndpoints
    }

    /// The remote endpoints of `network` when it is a multi-host network.
    package func remoteEndpoints(of network: NetworkView) -> [RemoteEndpointView] {
        guard let name = network.options[StateView.multiHostNetworkOption] else { return [] }
        return remoteEndpoints.filter { $0.network == name }
    }

    /// The network whose full id starts with `prefix`, or whose bridge is `prefix`. Throws
    /// when none or several match, naming them.
    package func network(matching prefix: String) throws(OperatorError) -> NetworkView {
        // A macvlan network's "bridge" is its parent, which several may share.
        let byBridge = networks.filter { $0.bridge == prefix }
        if byBridge.count == 1 { return byBridge[0] }
        let matches = prefix.isEmpty ? [] : byBridge.count > 1 ? byBridge : networks.filter { $0.id.hasPrefix(prefix) }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw .noSuchNetwork(prefix, known: networks.map { String($0.id.prefix(12)) })
        default: throw .ambiguousNetwork(prefix, matches: matches.map { String($0.id.prefix(12)) })
        }
    }

    package func endpoints(of network: NetworkView) -> [EndpointView] {
        endpoints.filter { $0.networkID == network.id }
    }

    package func pools(of network: NetworkView) -> [PoolView] {
        pools.filter { $0.networkID == network.id }
    }
}

/// Facts about the server (or the state file) the view came from.
package struct ServerInfo: Sendable, Equatable {
    package var version: String
    /// True when a running server answered; false when the CLI read the state file itself.
    package var running: Bool
    package var statePath: String
    package var chainPrefix: String
    /// Link group of the bridges and veths this state's server makes.
    package var linkGroup: UInt32
    package var bootID: String

    package init(version: String, running: Bool, statePath: String, chainPrefix: String, linkGroup: UInt32, bootID: String) {
        self.version = version
        self.running = running
        self.statePath = statePath
        self.chainPrefix = chainPrefix
        self.linkGroup = linkGroup
        self.bootID = bootID
    }
}
