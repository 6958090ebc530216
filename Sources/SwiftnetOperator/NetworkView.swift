/// One network as `swiftnet ls` and `inspect` show it.
public struct NetworkView: Sendable, Equatable {
    public struct Subnet: Sendable, Equatable {
        public var prefix: String
        public var gateway: String?
        /// The IPAM pool this subnet came from, when swiftnet's IPAM gave it.
        public var poolID: String?

        public init(prefix: String, gateway: String?, poolID: String?) {
            self.prefix = prefix
            self.gateway = gateway
            self.poolID = poolID
        }
    }

    public var id: String
    public var bridge: String
    /// creating, ready or deleting (the last two only around a crash).
    public var state: String
    /// nat (masquerade), routed (`enable_ip_masquerade=false`) or internal.
    public var mode: String
    public var isInternal: Bool
    public var ipv6: Bool
    public var mtu: Int?
    /// `-o` options as given, which are exactly the ones that differ from the defaults.
    public var options: [String: String]
    public var subnets: [Subnet]
    public var endpointCount: Int
    /// Addresses the network's first subnet can hand out (a decimal string: IPv6 pools exceed
    /// what JSON numbers hold exactly); nil when its pool is not swiftnet's.
    public var capacity: String?

    public init(id: String, bridge: String, state: String, mode: String, isInternal: Bool, ipv6: Bool, mtu: Int?,
                options: [String: String], subnets: [Subnet], endpointCount: Int, capacity: String?) {
        self.id = id
        self.bridge = bridge
        self.state = state
        self.mode = mode
        self.isInternal = isInternal
        self.ipv6 = ipv6
        self.mtu = mtu
        self.options = options
        self.subnets = subnets
        self.endpointCount = endpointCount
        self.capacity = capacity
    }

    public var shortID: String { String(id.prefix(12)) }
}
