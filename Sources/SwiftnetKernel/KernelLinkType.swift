import SwiftnetLANModel

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

extension KernelLinkType {
    /// The link types a network of `childKind` on `parent` needs the kernel to make: what to
    /// check (LinkTypeSupport) at CreateNetwork, before anything is made or recorded.
    package static func required(by childKind: LANLinkKind, parent: ParentPlan) -> [KernelLinkType] {
        var types: [KernelLinkType]
        switch childKind {
        case .macvlan: types = [.macvlan]
        case .ipvlan: types = [.ipvlan]
        case .vlan: types = [.vlan]
        }
        switch parent {
        case .existing: break
        case .createVLAN: types.append(.vlan)
        case .createDummy: types.append(.dummy)
        }
        return types
    }
}
