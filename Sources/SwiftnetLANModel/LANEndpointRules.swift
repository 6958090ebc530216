/// What CreateEndpoint refuses on a macvlan or ipvlan network before touching the kernel.
package enum LANEndpointRules {
    /// `requestsMAC`: the request carries `Interface.MacAddress` (`--mac-address`).
    /// `childrenOnParent`: interfaces this network has on its parent already (the host shim too).
    package static func check(_ childKind: LANLinkKind, parent: String, requestsMAC: Bool,
                              childrenOnParent: Int) throws(LANModelError) {
        switch childKind {
        case .ipvlan where requestsMAC:
            throw .macAddressOnIPvlan
        case .macvlan(.passthru) where childrenOnParent > 0:
            throw .passthruChildExists(parent: parent)
        default:
            return
        }
    }

    /// ipvlan children take the parent's MAC: the driver answers Join with no MAC, and the
    /// IPAM must not claim `RequiresMACAddress` (dockerd would then invent one ipvlan cannot take).
    package static func takesMACAddress(_ childKind: LANLinkKind) -> Bool {
        if case .ipvlan = childKind { return false }
        return true
    }
}
