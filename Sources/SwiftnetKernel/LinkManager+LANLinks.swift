import CNetlink
import Glibc
import SwiftnetLANModel

/// Links stacked on a LAN parent: macvlan and ipvlan children (container interfaces and the
/// host shim), 802.1q sub-interfaces, and dummy parents.
///
/// Each is one RTM_NEWLINK built here rather than through libnl's link objects: libnl 3.7 cannot
/// send ipvlan's flags (IFLA_IPVLAN_FLAGS), and one builder for every kind means the macvlan
/// tests, which run on any kernel, exercise the request the ipvlan path sends too.
extension LinkManager {
    /// Creates a macvlan child of `parent`, down. `mac` nil: the kernel picks a random one.
    /// `group` and `alias` mark the owner as on an endpoint's veth (see createVethPair): the
    /// alias goes with the child into the container, so a link of that name can be told apart.
    package func createMacvlan(name: String, parent: String, mode: MacvlanMode, mac: [UInt8]? = nil,
                               mtu: Int? = nil, group: UInt32 = 0, alias: String? = nil) throws {
        try createStacked(name: name, parent: parent, kind: "macvlan", mac: mac, mtu: mtu, group: group, alias: alias,
                          operation: "create macvlan link \(name) (mode \(mode.rawValue)) on \(parent)") { message in
            nla_put_u32(message, Int32(IFLA_MACVLAN_MODE), mode.kernelValue) == 0
        }
    }

    /// Creates an ipvlan child of `parent`, down. ipvlan children take the parent's MAC; the flag
    /// is sent only when it is not the default (bridge), so kernels before 4.15 (no flags) work.
    package func createIPvlan(name: String, parent: String, mode: IPvlanMode, flag: IPvlanFlag = .bridge,
                              mtu: Int? = nil, group: UInt32 = 0, alias: String? = nil) throws {
        try createStacked(name: name, parent: parent, kind: "ipvlan", mac: nil, mtu: mtu, group: group, alias: alias,
                          operation: "create ipvlan link \(name) (mode \(mode.rawValue), flag \(flag.rawValue)) on \(parent)") { message in
            guard nla_put_u16(message, Int32(IFLA_IPVLAN_MODE), mode.kernelValue) == 0 else { return false }
            return flag.kernelValue == 0 || nla_put_u16(message, Int32(IFLA_IPVLAN_FLAGS), flag.kernelValue) == 0
        }
    }

    /// Creates the 802.1q sub-interface `name` tagging `id` on `parent`, down. `group`: the
    /// owner's mark, as on the children (a parent swiftnet made is its to delete).
    package func createVLAN(name: String, parent: String, id: Int, group: UInt32 = 0) throws {
        let operation = "create vlan link \(name) (id \(id)) on \(parent)"
        guard ParentLink.vlanIDs.contains(id) else {
            throw KernelError.interface(name, operation: operation + ": VLAN ids are 1…4094", code: -NLE_INVAL)
        }
        try createStacked(name: name, parent: parent, kind: "vlan", mac: nil, mtu: nil, group: group, operation: operation) { message in
            nla_put_u16(message, Int32(IFLA_VLAN_ID), UInt16(id)) == 0
        }
    }

    /// Creates a dummy link, down: a parent of swiftnet's own for networks given none.
    package func createDummy(name: String, mtu: Int? = nil, group: UInt32 = 0) throws {
        try createStacked(name: name, parent: nil, kind: "dummy", mac: nil, mtu: mtu, group: group,
                          operation: "create dummy link \(name)") { _ in true }
    }

    /// The link with its parent and its macvlan/ipvlan/vlan settings, for drift checks; nil when
    /// no link has that name.
    package func stackedLink(named name: String) throws -> StackedLinkInfo? {
        try InterfaceName.validate(name)
        let operation = "look up \(name)"
        return try withSocket { sk in
            var object: OpaquePointer?
            let rc = rtnl_link_get_kernel(sk.handle, 0, name, &object)
            if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND { return nil }
            guard rc == 0, let link = object else { throw KernelError.interface(name, operation: operation, code: rc) }
            defer { rtnl_link_put(link) }
            var result = StackedLinkInfo(link: LinkManager.info(of: link))
            let parentIndex = Int32(rtnl_link_get_link(link))
            if parentIndex > 0 {
                result.parentIndex = parentIndex
                var parent: OpaquePointer?
                // A parent in another namespace (a child moved into a container) has an index
                // that means nothing here, or another link: only the same namespace is named.
                var parentNamespace: Int32 = 0
                if rtnl_link_get_link_netnsid(link, &parentNamespace) != 0, rtnl_link_get_kernel(sk.handle, parentIndex, nil, &parent) == 0,
                   let parent {
                    result.parentName = rtnl_link_get_name(parent).map { String(cString: $0) }
                    rtnl_link_put(parent)
                }
            }
            if rtnl_link_is_macvlan(link) != 0 {
                result.macvlanMode = MacvlanMode(kernelValue: rtnl_link_macvlan_get_mode(link))
            } else if rtnl_link_is_ipvlan(link) != 0 {
                var mode: UInt16 = 0
                if rtnl_link_ipvlan_get_mode(link, &mode) == 0 { result.ipvlanMode = IPvlanMode(kernelValue: mode) }
            } else if rtnl_link_is_vlan(link) != 0 {
                result.vlanID = Int(rtnl_link_vlan_get_id(link))
            }
            return result
        }
    }

    private func createStacked(name: String, parent: String?, kind: String, mac: [UInt8]?, mtu: Int?,
                               group: UInt32 = 0, alias: String? = nil,
                               operation: String, data: (OpaquePointer) -> Bool) throws {
        try InterfaceName.validate(name)
        if let parent { try InterfaceName.validate(parent) }
        try LinkManager.validate(mtu: mtu, for: name)
        if let mac { try LinkManager.validate(mac: mac, for: name) }
        if let alias, alias.isEmpty || alias.utf8.count > LinkManager.maximumAliasLength || alias.utf8.contains(0) {
            throw KernelError.netlink("\(operation): an alias must be 1 to \(LinkManager.maximumAliasLength) bytes without NUL", code: -NLE_INVAL)
        }
        try withSocket { sk in
            var parentIndex: Int32?
            if let parent {
                guard let lower = try LinkManager.fetch(sk, parent, operation: operation) else {
                    throw KernelError.interfaceNotFound(parent, operation: operation)
                }
                parentIndex = lower.index
            }
            guard let message = nlmsg_alloc_simple(Int32(RTM_NEWLINK), NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL)
            else { throw LinkManager.noMemory(name, operation) }
            defer { nlmsg_free(message) }
            var header = ifinfomsg()
            header.ifi_family = UInt8(AF_UNSPEC)
            var built = nlmsg_append(message, &header, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO)) == 0
                && nla_put_string(message, Int32(IFLA_IFNAME), name) == 0
            if built, let parentIndex { built = nla_put_u32(message, Int32(IFLA_LINK), UInt32(parentIndex)) == 0 }
            if built, let mtu { built = nla_put_u32(message, Int32(IFLA_MTU), UInt32(mtu)) == 0 }
            if built, group != 0 { built = nla_put_u32(message, Int32(IFLA_GROUP), group) == 0 }
            if built, let mac { built = mac.withUnsafeBytes { nla_put(message, Int32(IFLA_ADDRESS), 6, $0.baseAddress) } == 0 }
            if built, let linkInfo = nla_nest_start(message, Int32(IFLA_LINKINFO)) {
                built = nla_put_string(message, Int32(IFLA_INFO_KIND), kind) == 0
                if built, let infoData = nla_nest_start(message, Int32(IFLA_INFO_DATA)) {
                    built = data(message) && nla_nest_end(message, infoData) == 0
                } else {
                    built = false
                }
                built = built && nla_nest_end(message, linkInfo) == 0
            } else {
                built = false
            }
            guard built else { throw LinkManager.noMemory(name, operation) }
            let sent = nl_send_auto(sk.handle, message)
            let rc = sent < 0 ? sent : nl_wait_for_ack(sk.handle)
            if rc == -NLE_OPNOTSUPP { throw KernelError.unsupportedLinkType(kind: kind, operation: operation) }
            if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND, let parent {
                // The parent went between the lookup and the request.
                throw KernelError.interfaceNotFound(parent, operation: operation)
            }
            try LinkManager.check(rc, name, operation)
            guard let alias else { return }
            // The kernel ignores IFLA_IFALIAS in a creating RTM_NEWLINK: a second request, and a
            // link whose alias cannot be set is deleted (just made here, so certainly ours).
            do {
                try LinkManager.change(sk, name, "set the alias of \(name)") { rtnl_link_set_ifalias($0, alias) }
            } catch {
                if let doomed = rtnl_link_alloc() {
                    rtnl_link_set_name(doomed, name)
                    _ = rtnl_link_delete(sk.handle, doomed)
                    rtnl_link_put(doomed)
                }
                throw error
            }
        }
    }
}

/// A link as `stackedLink(named:)` reads it back.
package struct StackedLinkInfo: Sendable, Equatable {
    /// In the terms LANLinkDrift compares.
    package var observed: ObservedLANLink {
        ObservedLANLink(kind: link.kind, parentName: parentName, macvlanMode: macvlanMode, ipvlanMode: ipvlanMode, vlanID: vlanID)
    }

    package var link: LinkInfo
    /// IFLA_LINK: the parent's index (for a veth, the peer's), nil when the link has none.
    package var parentIndex: Int32?
    /// The parent's name, when it is in this namespace.
    package var parentName: String?
    package var macvlanMode: MacvlanMode?
    package var ipvlanMode: IPvlanMode?
    /// ipvlan's flag is not read back: libnl 3.7 does not parse IFLA_IPVLAN_FLAGS.
    package var vlanID: Int?

    package init(link: LinkInfo, parentIndex: Int32? = nil, parentName: String? = nil, macvlanMode: MacvlanMode? = nil,
                 ipvlanMode: IPvlanMode? = nil, vlanID: Int? = nil) {
        self.link = link
        self.parentIndex = parentIndex
        self.parentName = parentName
        self.macvlanMode = macvlanMode
        self.ipvlanMode = ipvlanMode
        self.vlanID = vlanID
    }
}

extension MacvlanMode {
    var kernelValue: UInt32 {
        switch self {
        case .private: return UInt32(MACVLAN_MODE_PRIVATE.rawValue)
        case .vepa: return UInt32(MACVLAN_MODE_VEPA.rawValue)
        case .bridge: return UInt32(MACVLAN_MODE_BRIDGE.rawValue)
        case .passthru: return UInt32(MACVLAN_MODE_PASSTHRU.rawValue)
        }
    }

    init?(kernelValue: UInt32) {
        guard let mode = MacvlanMode.allCases.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = mode
    }
}

extension IPvlanMode {
    var kernelValue: UInt16 {
        switch self {
        case .l2: return UInt16(IPVLAN_MODE_L2.rawValue)
        case .l3: return UInt16(IPVLAN_MODE_L3.rawValue)
        case .l3s: return UInt16(IPVLAN_MODE_L3S.rawValue)
        }
    }

    init?(kernelValue: UInt16) {
        guard let mode = IPvlanMode.allCases.first(where: { $0.kernelValue == kernelValue }) else { return nil }
        self = mode
    }
}

extension IPvlanFlag {
    var kernelValue: UInt16 {
        switch self {
        case .bridge: return 0
        case .private: return UInt16(IPVLAN_F_PRIVATE)
        case .vepa: return UInt16(IPVLAN_F_VEPA)
        }
    }
}
