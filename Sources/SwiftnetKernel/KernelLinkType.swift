/// Link types the LAN modes need that a kernel may lack (each is its own driver, often a module).
package enum KernelLinkType: String, Sendable, CaseIterable {
    case macvlan
    case ipvlan
    /// 802.1q sub-interfaces (`eth0.50`).
    case vlan
    /// Docker's parent for a macvlan/ipvlan network given no `parent`.
    case dummy

    /// The kernel option and module that provide it, for error texts.
    package var kernelSupport: String {
        switch self {
        case .macvlan: return "kernel option CONFIG_MACVLAN, module macvlan"
        case .ipvlan: return "kernel option CONFIG_IPVLAN, module ipvlan"
        case .vlan: return "kernel option CONFIG_VLAN_8021Q, module 8021q"
        case .dummy: return "kernel option CONFIG_DUMMY, module dummy"
        }
    }
}
