/// One network as `swiftnet ls` and `inspect` show it.
package struct NetworkView: Sendable, Equatable {
    package struct Subnet: Sendable, Equatable {
        package var prefix: String
        package var gateway: String?
        /// The IPAM pool this subnet came from, when swiftnet's IPAM gave it.
        package var poolID: String?

        package init(prefix: String, gateway: String?, poolID: String?) {
            self.prefix = prefix
            self.gateway = gateway
            self.poolID = poolID
        }
    }

    package var id: String
    package var bridge: String
    /// creating, ready or deleting (the last two only around a crash).
    package var state: String
    /// nat (masquerade), routed (`enable_ip_masquerade=false`) or internal.
    package var mode: String
    package var isInternal: Bool
    package var ipv6: Bool
    package var mtu: Int?
    /// `-o` options as given, which are exactly the ones that differ from the defaults.
    package var options: [String: String]
    package var subnets: [Subnet]
    package var endpointCount: Int
    /// Addresses the network's first subnet can hand out (a decimal string: IPv6 pools exceed
    /// what JSON numbers hold exactly); nil when its pool is not swiftnet's.
    package var capacity: String?
    /// When the network was recorded (unix seconds); nil from a server older than this field.
    package var createdAt: Int?

    package init(id: String, bridge: String, state: String, mode: String, isInternal: Bool, ipv6: Bool, mtu: Int?,
                options: [String: String], subnets: [Subnet], endpointCount: Int, capacity: String?, createdAt: Int? = nil) {
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
        self.createdAt = createdAt
    }

    package var shortID: String { String(id.prefix(12)) }
    /// macvlan/ipvlan: `bridge` is the parent link its containers' interfaces stack on.
    package var isStackedOnParent: Bool { mode.hasPrefix("macvlan") || mode.hasPrefix("ipvlan") }
}
