/// What swiftnet holds, as operators see it: the one model behind `GET /state`, `swiftnet ls`,
/// `inspect` and `pools`, built from the records by the server (or by the CLI from the state
/// file when no server runs) and carried as JSON between the two. The JSON shape is
/// documented in docs/operator.md; keys are only ever added.
public struct StateView: Sendable, Equatable {
    /// Bumped only if a key changes meaning or goes away.
    public static let formatVersion = 1

    public var server: ServerInfo
    public var networks: [NetworkView]
    public var endpoints: [EndpointView]
    public var pools: [PoolView]

    public init(server: ServerInfo, networks: [NetworkView], endpoints: [EndpointView], pools: [PoolView]) {
        self.server = server
        self.networks = networks
        self.endpoints = endpoints
        self.pools = pools
    }

    /// The network whose full id starts with `prefix`, or whose bridge is `prefix`. Throws
    /// when none or several match, naming them.
    public func network(matching prefix: String) throws(OperatorError) -> NetworkView {
        if let byBridge = networks.first(where: { $0.bridge == prefix }) { return byBridge }
        let matches = prefix.isEmpty ? [] : networks.filter { $0.id.hasPrefix(prefix) }
        switch matches.count {
        case 1: return matches[0]
        case 0: throw .noSuchNetwork(prefix, known: networks.map { String($0.id.prefix(12)) })
        default: throw .ambiguousNetwork(prefix, matches: matches.map { String($0.id.prefix(12)) })
        }
    }

    public func endpoints(of network: NetworkView) -> [EndpointView] {
        endpoints.filter { $0.networkID == network.id }
    }

    public func pools(of network: NetworkView) -> [PoolView] {
        pools.filter { $0.networkID == network.id }
    }
}

/// Facts about the server (or the state file) the view came from.
public struct ServerInfo: Sendable, Equatable {
    public var version: String
    /// True when a running server answered; false when the CLI read the state file itself.
    public var running: Bool
    public var statePath: String
    public var chainPrefix: String
    /// Link group of the bridges and veths this state's server makes.
    public var linkGroup: UInt32
    public var bootID: String

    public init(version: String, running: Bool, statePath: String, chainPrefix: String, linkGroup: UInt32, bootID: String) {
        self.version = version
        self.running = running
        self.statePath = statePath
        self.chainPrefix = chainPrefix
        self.linkGroup = linkGroup
        self.bootID = bootID
    }
}
