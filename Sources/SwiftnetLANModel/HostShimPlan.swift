import SwiftnetAddress

/// The host's own interface on a macvlan or ipvlan network (`-o swiftnet.host_shim=true`).
///
/// The kernel does not pass traffic between a parent and its macvlan children, so the host
/// cannot reach its own containers through the parent. A sibling child in the host — the shim —
/// can: it gets one address from the pool (as a host address, /32 or /128, so it adds no route
/// for the whole subnet that would compete with the parent's own LAN route) and a route for the
/// containers' range through it.
package struct HostShimPlan: Sendable, Equatable {
    /// The shim's kind: the network's children's, so it is their sibling.
    package var childKind: LANLinkKind
    package var address: IPAddress
    /// Host prefix: 32 or 128.
    package var prefixLength: Int
    /// Through the shim, no next hop.
    package var routes: [IPPrefix]

    /// `containerRange`: where container addresses come from (`--ip-range`, else the subnet).
    /// `address`: the shim's own, from the pool and outside no range a container may take.
    package static func plan(_ childKind: LANLinkKind, parent: ParentLink?, address: IPAddress,
                             containerRange: IPPrefix) throws(LANModelError) -> HostShimPlan {
        try checkPossible(childKind: childKind, parent: parent)
        guard address.family == containerRange.family else {
            throw .hostShimUnsupported(reason: "its address \(address) is not of the family of \(containerRange)")
        }
        return HostShimPlan(childKind: childKind, address: address, prefixLength: address.family == .v4 ? 32 : 128,
                            routes: [containerRange])
    }

    /// A shim reaches containers only as a sibling that may talk to them: macvlan bridge mode,
    /// or ipvlan with the bridge flag; and only on a parent of the host's LAN.
    package static func checkPossible(childKind: LANLinkKind?, parent: ParentLink?) throws(LANModelError) {
        guard parent != nil else {
            throw .hostShimUnsupported(reason: "the network has no parent link (an internal network on a link of swiftnet's own)")
        }
        switch childKind {
        case .macvlan(.bridge)?, .ipvlan(_, .bridge)?:
            return
        case .macvlan(.passthru)?:
            throw .hostShimUnsupported(reason: "macvlan passthru allows one interface on the parent, the container's")
        case .macvlan(let mode)?:
            throw .hostShimUnsupported(reason: "macvlan mode \(mode.rawValue) keeps the host's interface from its containers; use macvlan_mode=bridge")
        case .ipvlan(_, let flag)?:
            throw .hostShimUnsupported(reason: "ipvlan_flag=\(flag.rawValue) keeps the host's interface from its containers; use ipvlan_flag=bridge")
        case .vlan?, nil:
            throw .hostShimUnsupported(reason: "it applies to swiftnet.mode=macvlan or ipvlan")
        }
    }
}
