/// How a macvlan child forwards between itself and its siblings on one parent
/// (`-o macvlan_mode=…`, the names of Docker's macvlan driver and of `ip link … type macvlan mode`).
package enum MacvlanMode: String, Sendable, CaseIterable {
    /// Siblings in bridge mode reach each other inside the host; the default.
    case bridge
    /// No traffic between siblings, not even through an outside switch that reflects it.
    case `private`
    /// Traffic between siblings leaves by the parent and comes back only if the switch reflects it.
    case vepa
    /// The one child takes over the parent (and its MAC): one child per parent at most.
    case passthru
}

/// ipvlan's forwarding layer (`-o ipvlan_mode=…`).
package enum IPvlanMode: String, Sendable, CaseIterable {
    /// Children share the parent's MAC and are reached by ARP/NDP on the LAN; the default.
    case l2
    /// The parent routes for its children: no broadcast, no ARP for them, no gateway.
    case l3
    /// l3 with the host's netfilter on the children's traffic.
    case l3s

    /// l3 and l3s: the LAN reaches the containers only through a route to the host.
    package var isRouted: Bool { self != .l2 }
}

/// ipvlan's sibling traffic rule (`-o ipvlan_flag=…`), the same three words as macvlan modes.
package enum IPvlanFlag: String, Sendable, CaseIterable {
    case bridge
    case `private`
    case vepa
}

/// A link swiftnet stacks on a LAN parent: a container's (or the host shim's) interface, or the
/// 802.1q sub-interface that is itself a parent.
package enum LANLinkKind: Sendable, Equatable, CustomStringConvertible {
    case macvlan(MacvlanMode)
    case ipvlan(IPvlanMode, IPvlanFlag)
    case vlan(id: Int)

    /// The rtnetlink kind (IFLA_INFO_KIND), as `ip -d link` shows it.
    package var kernelKind: String {
        switch self {
        case .macvlan: return "macvlan"
        case .ipvlan: return "ipvlan"
        case .vlan: return "vlan"
        }
    }

    package var description: String {
        switch self {
        case .macvlan(let mode): return "macvlan mode \(mode.rawValue)"
        case .ipvlan(let mode, let flag): return "ipvlan mode \(mode.rawValue) flag \(flag.rawValue)"
        case .vlan(let id): return "vlan id \(id)"
        }
    }
}
