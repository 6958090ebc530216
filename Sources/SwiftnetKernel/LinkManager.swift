import CNetlink
import Glibc
import SwiftnetAddress
import Synchronization

/// Creates, changes and deletes links and their addresses.
///
/// Acts in the network namespace of the threads that call it: each netlink socket is bound
/// to the namespace of the thread that opened it, and sockets are opened as calls overlap.
/// The plugin never leaves the host's namespace; a caller that does (tests) must use a
/// manager only from threads in one namespace.
///
/// Every call addresses interfaces by name in one request (RTM_GETLINK/NEWLINK/DELLINK carry
/// IFLA_IFNAME; the kernel resolves it), instead of keeping a link cache: a cache goes stale
/// whenever Docker or anyone else changes links, and refreshing it means dumping every link,
/// which alone costs more than a whole endpoint cycle may. Only `links()` dumps.
package final class LinkManager: Sendable {
    /// Kernel limits for bridge and veth (ETH_MIN_MTU…ETH_MAX_MTU); checked here so the error
    /// says which number was wrong instead of "Invalid input data".
    package static let mtuRange = 68...65535
    /// Ports one bridge can hold: BR_MAX_PORTS (1,024) port numbers, of which 0 is never given.
    package static let maximumBridgePorts = 1_023

    /// Idle sockets beyond this are closed; more only exist while that many calls overlap.
    static let maximumIdleSockets = 4

    // libnl sockets are not thread-safe (sequence numbers, one receive buffer), so each call
    // takes a socket of its own from this free list and gives it back. Not one socket behind
    // a lock: deleting a link takes the kernel 15–35 ms (RCU grace periods, same with `ip`),
    // and a shared socket would hold every other call — a concurrent CreateEndpoint — that
    // long, while on separate sockets they stay under 1 ms p99 during deletes (measured).
    private let idleSockets: Mutex<[NetlinkSocket]>

    package init() throws {
        // Connect one now, so a host without netlink fails here rather than on first use.
        idleSockets = Mutex([try NetlinkSocket()])
    }

    func withSocket<Result>(_ body: (NetlinkSocket) throws -> Result) throws -> Result {
        let socket = try idleSockets.withLock { $0.popLast() } ?? NetlinkSocket()
        let result = try body(socket)
        // Kept only after success: a failure part-way through a libnl receive may leave
        // answers behind that would be read as the next call's (sequence mismatch).
        idleSockets.withLock { idle in
            if socket.isReusable && idle.count < LinkManager.maximumIdleSockets { idle.append(socket) }
        }
        return result
    }

    // MARK: reading

    /// nil when no interface has that name.
    package func link(named name: String) throws -> LinkInfo? {
        try InterfaceName.validate(name)
        return try withSocket { sk in
            try LinkManager.fetch(sk, name, operation: "look up \(name)")
        }
    }

    /// Every link in the namespace, in index order. Dumps them all: for reconciliation only.
    package func links() throws -> [LinkInfo] {
        try withSocket { sk in
            var cache: OpaquePointer?
            let rc = InterruptedDump.retrying {
                return rtnl_link_alloc_cache(sk.handle, AF_UNSPEC, &cache)
            }
            guard rc == 0, let cache else { throw KernelError.netlink("rtnl_link_alloc_cache", code: rc) }
            defer { nl_cache_free(cache) }
            var result: [LinkInfo] = []
            var object = nl_cache_get_first(cache)
            while let current = object {
                result.append(LinkManager.info(of: current))
                object = nl_cache_get_next(current)
            }
            return result.sorted { $0.index < $1.index }
        }
    }

    // MARK: creating and deleting

    /// Creates a bridge, down. Fails with `interfaceExists` if the name is taken.
    ///
    /// The bridge always gets an explicit MAC (`mac`, or a random locally administered one):
    /// a bridge whose address the kernel chose takes the lowest MAC among its ports and
    /// changes it as containers come and go, which leaves stale gateway entries in the
    /// neighbour tables of every other container. An address set by the user stays.
    package func createBridge(name: String, mtu: Int? = nil, mac: [UInt8]? = nil, group: UInt32 = 0) throws {
        try InterfaceName.validate(name)
        try LinkManager.validate(mtu: mtu, for: name)
        let address = mac ?? LinkManager.randomMAC()
        try LinkManager.validate(mac: address, for: name)
        let operation = "create bridge \(name)"
        try withSocket { sk in
            guard let link = rtnl_link_bridge_alloc() else { throw LinkManager.noMemory(name, operation) }
            defer { rtnl_link_put(link) }
            rtnl_link_set_name(link, name)
            if group != 0 { rtnl_link_set_group(link, group) }
            try LinkManager.setHardwareAddress(link, address, name: name, operation: operation)
            try LinkManager.check(rtnl_link_add(sk.handle, link, NLM_F_CREATE | NLM_F_EXCL), name, operation)
        }
        // Not in the creating request: the kernel takes an MTU given there for its own choice
        // and sets 1500 again when the last port leaves. A change afterwards is the user's and
        // stays (a "change" to the MTU the bridge has already does nothing, hence not at creation).
        if let mtu {
            do {
                try setMTU(name, mtu)
            } catch {
                _ = try? deleteLink(name)
                throw error
            }
        }
    }

    /// Creates a veth pair with both ends, down, in this namespace. `mtu` applies to both
    /// ends, `peerMAC` to the peer (the end that goes into the container); the host end gets
    /// a random MAC from the kernel. Fails with `interfaceExists` naming whichever end is taken.
    package func createVethPair(host: String, peer: String, mtu: Int? = nil, peerMAC: [UInt8]? = nil) throws {
        try createVethPair(host: host, peer: peer, mtu: mtu, peerMAC: peerMAC, bridge: nil, group: 0)
    }

    /// Creates a veth pair whose host end is already on `bridge` and up, in one request: the
    /// endpoint hot path, a round trip per step cheaper than create + setMaster + setUp.
    /// `group` tags the host end (IFLA_GROUP), so its owner can find it after a crash.
    /// `alias` (IFLA_IFALIAS) names the owner on the host end, so that a link of the same name
    /// can be told from it; the kernel ignores an alias in the creating RTM_NEWLINK (checked on
    /// 6.18), so it takes a second request, and a pair whose alias cannot be set is deleted.
    package func createVethPair(host: String, peer: String, mtu: Int?, peerMAC: [UInt8]?, onBridge bridge: String,
                               group: UInt32 = 0, alias: String? = nil) throws {
        try InterfaceName.validate(bridge)
        try createVethPair(host: host, peer: peer, mtu: mtu, peerMAC: peerMAC, bridge: bridge, group: group, alias: alias)
    }

    /// Longest alias the kernel keeps (IFALIASZ - 1).
    package static let maximumAliasLength = 255

    private func createVethPair(host: String, peer: String, mtu: Int?, peerMAC: [UInt8]?, bridge: String?,
                                group: UInt32, alias: String? = nil) throws {
        try InterfaceName.validate(host)
        try InterfaceName.validate(peer)
        guard host != peer else {
            throw KernelError.invalidInterfaceName(peer, reason: "both ends of a veth pair are named \(peer)")
        }
        try LinkManager.validate(mtu: mtu, for: host)
        if let peerMAC { try LinkManager.validate(mac: peerMAC, for: peer) }
        let operation = "create veth pair \(host)/\(peer)"
        if let alias, alias.isEmpty || alias.utf8.count > LinkManager.maximumAliasLength || alias.utf8.contains(0) {
            throw KernelError.netlink("\(operation): an alias must be 1 to \(LinkManager.maximumAliasLength) bytes without NUL", code: -NLE_INVAL)
        }
        try withSocket { sk in
            guard let link = rtnl_link_veth_alloc() else { throw LinkManager.noMemory(host, operation) }
            defer { rtnl_link_put(link) }
            // The peer is a second rtnl_link inside the first; libnl sends its name, MTU and
            // address in the VETH_INFO_PEER nest of the same RTM_NEWLINK, so the pair is
            // created fully configured in one request.
            guard let peerLink = rtnl_link_veth_get_peer(link) else { throw LinkManager.noMemory(peer, operation) }
            defer { rtnl_link_put(peerLink) }
            rtnl_link_set_name(link, host)
            rtnl_link_set_name(peerLink, peer)
            if let mtu {
                rtnl_link_set_mtu(link, UInt32(mtu))
                rtnl_link_set_mtu(peerLink, UInt32(mtu))
            }
            if let peerMAC {
                try LinkManager.setHardwareAddress(peerLink, peerMAC, name: peer, operation: operation)
            }
            if let bridge {
                guard let master = try LinkManager.fetch(sk, bridge, operation: operation) else {
                    throw KernelError.interfaceNotFound(bridge, operation: operation)
                }
                guard master.kind == "bridge" else {
                    throw KernelError.notABridge(bridge, kind: master.kind, operation: operation)
                }
                rtnl_link_set_master(link, master.index)
                rtnl_link_set_flags(link, UInt32(IFF_UP))
            }
            if group != 0 { rtnl_link_set_group(link, group) }
            let rc = rtnl_link_add(sk.handle, link, NLM_F_CREATE | NLM_F_EXCL)
            if rc == -NLE_EXIST {
                // The kernel does not say which end clashed; ask, so the error can.
                let taken = (try? LinkManager.fetch(sk, host, operation: operation)) != nil ? host : peer
                throw KernelError.interfaceExists(taken, operation: operation)
            }
            if let bridge, rc < 0 { try LinkManager.checkBridgeFull(sk, rc, bridge: bridge, operation) }
            try LinkManager.check(rc, host, operation)
            guard let alias else { return }
            do {
                try LinkManager.change(sk, host, "set the alias of \(host)") { rtnl_link_set_ifalias($0, alias) }
            } catch {
                // Just made by this call, so certainly ours to delete.
                let doomed = rtnl_link_alloc()
                if let doomed {
                    rtnl_link_set_name(doomed, host)
                    _ = rtnl_link_delete(sk.handle, doomed)
                    rtnl_link_put(doomed)
                }
                throw error
            }
        }
    }

    /// Deletes a link; false if there was none. Deleting either end of a veth pair deletes
    /// both; deleting a bridge releases its ports (they stay, without master).
    @discardableResult
    package func deleteLink(_ name: String) throws -> Bool {
        try InterfaceName.validate(name)
        return try withSocket { sk in
            guard let link = rtnl_link_alloc() else { throw LinkManager.noMemory(name, "delete \(name)") }
            defer { rtnl_link_put(link) }
            rtnl_link_set_name(link, name)
            let rc = rtnl_link_delete(sk.handle, link)
            if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND { return false }
            try LinkManager.check(rc, name, "delete \(name)")
            return true
        }
    }

    /// Moves a link into `group`: cheap (no grace period), so a retired endpoint can be deleted
    /// later with others in one request. It stays up: its container end is already out of the
    /// container, and taking it down would only add the kernel's link-down work to the call.
    package func retire(_ name: String, toGroup group: UInt32) throws {
        try InterfaceName.validate(name)
        try withSocket { sk in
            try LinkManager.change(sk, name, "retire \(name)") { link in
                rtnl_link_set_group(link, group)
            }
        }
    }

    /// Deletes every link in `group` with one RTM_DELLINK: the kernel unregisters them as one
    /// batch and waits for one RCU grace period instead of one per link (15–35 ms each here).
    package func deleteGroup(_ group: UInt32) throws {
        guard group != 0 else { throw KernelError.netlink("refusing to delete group 0 (every link)", code: -NLE_INVAL) }
        try withSocket { sk in
            guard let message = nlmsg_alloc_simple(Int32(RTM_DELLINK), NLM_F_REQUEST | NLM_F_ACK) else {
                throw LinkManager.noMemory("group \(group)", "delete group \(group)")
            }
            defer { nlmsg_free(message) }
            var header = ifinfomsg()
            header.ifi_family = UInt8(AF_UNSPEC)
            guard nlmsg_append(message, &header, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO)) == 0,
                  nla_put_u32(message, Int32(IFLA_GROUP), group) == 0
            else { throw LinkManager.noMemory("group \(group)", "delete group \(group)") }
            var rc = nl_send_auto(sk.handle, message)
            if rc >= 0 { rc = nl_wait_for_ack(sk.handle) }
            // An empty group answers "no such device".
            if rc < 0 && rc != -NLE_NODEV && rc != -NLE_OBJ_NOTFOUND {
                throw KernelError.netlink("delete link group \(group)", code: rc)
            }
        }
    }

    // MARK: changing

    /// Enslaves `name` to the bridge `bridge`.
    package func setMaster(_ name: String, bridge: String) throws {
        try InterfaceName.validate(name)
        try InterfaceName.validate(bridge)
        let operation = "attach \(name) to bridge \(bridge)"
        try withSocket { sk in
            // IFLA_MASTER takes an index, so the bridge costs one lookup; checking its kind on
            // the way turns the kernel's bare "Operation not supported" into a clear error.
            guard let master = try LinkManager.fetch(sk, bridge, operation: operation) else {
                throw KernelError.interfaceNotFound(bridge, operation: operation)
            }
            guard master.kind == "bridge" else {
                throw KernelError.notABridge(bridge, kind: master.kind, operation: operation)
            }
            do {
                try LinkManager.change(sk, name, operation) { rtnl_link_set_master($0, master.index) }
            } catch KernelError.interface(_, _, let code) {
                try LinkManager.checkBridgeFull(sk, code, bridge: bridge, operation)
                throw KernelError.interface(name, operation: operation, code: code)
            }
        }
    }

    /// Turns hairpin mode on or off on a bridge port: frames may leave by the port they came
    /// in by, which a container reaching its own published port needs (its DNAT'ed packet is
    /// routed back to it). RTM_SETLINK for AF_BRIDGE with IFLA_PROTINFO/IFLA_BRPORT_MODE, as
    /// `bridge link set dev NAME hairpin on` sends it; the kernel wants the index, not the name.
    package func setHairpin(_ name: String, _ on: Bool) throws {
        try InterfaceName.validate(name)
        let operation = "\(on ? "enable" : "disable") hairpin mode on \(name)"
        try withSocket { sk in
            let index = try LinkManager.index(sk, name, operation: operation)
            guard let message = nlmsg_alloc_simple(Int32(RTM_SETLINK), NLM_F_REQUEST | NLM_F_ACK) else {
                throw LinkManager.noMemory(name, operation)
            }
            defer { nlmsg_free(message) }
            var header = ifinfomsg()
            header.ifi_family = UInt8(AF_BRIDGE)
            header.ifi_index = index
            guard nlmsg_append(message, &header, MemoryLayout<ifinfomsg>.size, Int32(NLMSG_ALIGNTO)) == 0,
                  let nest = nla_nest_start(message, Int32(IFLA_PROTINFO) | Int32(NLA_F_NESTED)),
                  nla_put_u8(message, Int32(IFLA_BRPORT_MODE), on ? 1 : 0) == 0,
                  nla_nest_end(message, nest) == 0
            else { throw LinkManager.noMemory(name, operation) }
            // Not nl_send_sync: it frees the message, which the deferred free does here.
            let sent = nl_send_auto(sk.handle, message)
            try LinkManager.check(sent < 0 ? sent : nl_wait_for_ack(sk.handle), name, operation)
        }
    }

    /// Sets IFF_UP (administratively up).
    package func setUp(_ name: String) throws {
        try InterfaceName.validate(name)
        try withSocket { sk in
            try LinkManager.change(sk, name, "bring \(name) up") { rtnl_link_set_flags($0, UInt32(IFF_UP)) }
        }
    }

    package func setMTU(_ name: String, _ mtu: Int) throws {
        try InterfaceName.validate(name)
        try LinkManager.validate(mtu: mtu, for: name)
        try withSocket { sk in
            try LinkManager.change(sk, name, "set MTU \(mtu) on \(name)") { rtnl_link_set_mtu($0, UInt32(mtu)) }
        }
    }

    // MARK: addresses

    /// Every address on the link, IPv4 and IPv6 (link-local ones included), in kernel order.
    package func addresses(of name: String) throws -> [(address: IPAddress, prefixLength: Int)] {
        try InterfaceName.validate(name)
        return try withSocket { sk in
            let operation = "list addresses of \(name)"
            let index = try LinkManager.index(sk, name, operation: operation)
            return try LinkManager.addresses(sk, index: index, name: name, operation: operation)
        }
    }

    /// The links holding an address whose prefix overlaps one of `prefixes`, each with those
    /// addresses (IPv6 link-local ones, which every interface has, left out). One dump of the
    /// host's addresses, then a lookup of each link found: on the request path (CreateNetwork),
    /// where a dump of every link would cost as much as the host's veths.
    package func links(holdingAddressesIn prefixes: [IPPrefix]) throws -> [(link: LinkInfo, addresses: [(address: IPAddress, prefixLength: Int)])] {
        try withSocket { sk in
            let operation = "list the host's addresses"
            var found: [Int32: [(address: IPAddress, prefixLength: Int)]] = [:]
            for held in try LinkManager.dumpAddresses(sk, index: 0, name: "*", operation: operation) where !held.address.isIPv6LinkLocal {
                guard let prefix = IPPrefix(address: held.address, length: held.prefixLength),
                      prefixes.contains(where: { $0.overlaps(prefix) }) else { continue }
                found[held.index, default: []].append((held.address, held.prefixLength))
            }
            return try found.keys.sorted().compactMap { index in
                var link: OpaquePointer?
                let rc = rtnl_link_get_kernel(sk.handle, index, nil, &link)
                // Gone since the dump: it holds nothing any more.
                if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND { return nil }
                guard rc == 0, let link else { throw KernelError.netlink("rtnl_link_get_kernel", code: rc) }
                defer { rtnl_link_put(link) }
                return (LinkManager.info(of: link), found[index] ?? [])
            }
        }
    }

    /// Adds an address (with its prefix route). Already present with the same prefix length
    /// is success. IPv6 addresses skip duplicate address detection: they come from our own
    /// IPAM, and a tentative address cannot be used as a source — on a bridge with no port
    /// up it would stay tentative, so the gateway would not answer.
    package func addAddress(_ address: IPAddress, prefixLength: Int, to name: String) throws {
        try InterfaceName.validate(name)
        try LinkManager.validate(prefixLength: prefixLength, of: address, on: name)
        let operation = "add \(address)/\(prefixLength) to \(name)"
        try withSocket { sk in
            let index = try LinkManager.index(sk, name, operation: operation)
            let request = try LinkManager.addressRequest(address, prefixLength: prefixLength, index: index,
                                                         name: name, operation: operation)
            defer { rtnl_addr_put(request) }
            let rc = rtnl_addr_add(sk.handle, request, NLM_F_CREATE | NLM_F_EXCL)
            if rc == -NLE_EXIST {
                // IPv4 keys an address by address and prefix length, IPv6 by address alone,
                // so "exists" may mean another length; only the same one is success.
                let present = try LinkManager.addresses(sk, index: index, name: name, operation: operation)
                let lengths = present.filter { $0.address == address }.map(\.prefixLength)
                if lengths.contains(prefixLength) { return }
                if let other = lengths.first {
                    throw KernelError.addressConflict(name, address: address.description, existingPrefixLength: other)
                }
            }
            try LinkManager.check(rc, name, operation, mapInterfaceCodes: false)
        }
    }

    /// Removes an address; false if the link has no such address with that prefix length.
    @discardableResult
    package func deleteAddress(_ address: IPAddress, prefixLength: Int, from name: String) throws -> Bool {
        try InterfaceName.validate(name)
        try LinkManager.validate(prefixLength: prefixLength, of: address, on: name)
        let operation = "delete \(address)/\(prefixLength) from \(name)"
        return try withSocket { sk in
            let index = try LinkManager.index(sk, name, operation: operation)
            let request = try LinkManager.addressRequest(address, prefixLength: prefixLength, index: index,
                                                         name: name, operation: operation)
            defer { rtnl_addr_put(request) }
            let rc = rtnl_addr_delete(sk.handle, request, 0)
            if rc == -NLE_NOADDR { return false }
            try LinkManager.check(rc, name, operation, mapInterfaceCodes: false)
            return true
        }
    }
}

// MARK: - libnl plumbing (each call has the socket to itself)

extension LinkManager {
    /// One RTM_GETLINK by name; nil when absent.
    static func fetch(_ sk: NetlinkSocket, _ name: String, operation: String) throws -> LinkInfo? {
        var link: OpaquePointer?
        let rc = rtnl_link_get_kernel(sk.handle, 0, name, &link)
        if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND { return nil }
        guard rc == 0, let link else { throw KernelError.interface(name, operation: operation, code: rc) }
        defer { rtnl_link_put(link) }
        return info(of: link)
    }

    static func index(_ sk: NetlinkSocket, _ name: String, operation: String) throws -> Int32 {
        guard let link = try fetch(sk, name, operation: operation) else {
            throw KernelError.interfaceNotFound(name, operation: operation)
        }
        return link.index
    }

    static func info(of link: OpaquePointer) -> LinkInfo {
        var mac: [UInt8] = []
        if let address = rtnl_link_get_addr(link), let raw = nl_addr_get_binary_addr(address) {
            mac = Array(UnsafeRawBufferPointer(start: raw, count: Int(nl_addr_get_len(address))))
        }
        let master = rtnl_link_get_master(link)
        return LinkInfo(
            name: rtnl_link_get_name(link).map { String(cString: $0) } ?? "",
            index: Int32(rtnl_link_get_ifindex(link)),
            kind: rtnl_link_get_type(link).map { String(cString: $0) },
            mtu: Int(rtnl_link_get_mtu(link)),
            mac: mac,
            isUp: rtnl_link_get_flags(link) & UInt32(IFF_UP) != 0,
            masterIndex: master > 0 ? Int32(master) : nil,
            group: rtnl_link_get_group(link),
            alias: rtnl_link_get_ifalias(link).map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Sends the changes `configure` makes as one RTM_NEWLINK addressed by name. libnl's
    /// change call takes an "original" to diff against; passing the same object with only
    /// the name set makes it send the name (ifindex 0), so no lookup round trip is needed.
    static func change(_ sk: NetlinkSocket, _ name: String, _ operation: String,
                       _ configure: (OpaquePointer) -> Void) throws {
        guard let link = rtnl_link_alloc() else { throw noMemory(name, operation) }
        defer { rtnl_link_put(link) }
        rtnl_link_set_name(link, name)
        configure(link)
        try check(rtnl_link_change(sk.handle, link, link, 0), name, operation)
    }

    static func addresses(_ sk: NetlinkSocket, index: Int32, name: String,
                          operation: String) throws -> [(address: IPAddress, prefixLength: Int)] {
        try dumpAddresses(sk, index: index, name: name, operation: operation).map { ($0.address, $0.prefixLength) }
    }

    /// The addresses of the link `index`, or of every link for index 0, with their link's index.
    static func dumpAddresses(_ sk: NetlinkSocket, index: Int32, name: String,
                              operation: String) throws -> [(index: Int32, address: IPAddress, prefixLength: Int)] {
        guard let ops = nl_cache_ops_lookup_safe("route/addr") else { throw noMemory(name, operation) }
        defer { nl_cache_ops_put(ops) }
        guard let cache = nl_cache_alloc(ops) else { throw noMemory(name, operation) }
        defer { nl_cache_free(cache) }
        // A dump of one interface's addresses: the kernel filters by the index in the request
        // only on a socket that asks for strict checking (Linux 4.20+). A host with 1,000
        // containers holds thousands of addresses, and start-up looks at every bridge's. The
        // socket is pooled and libnl's other dumps send a header strict checking refuses, so it
        // is switched off again (a socket where that fails is not pooled again). Where the
        // kernel does not filter, the index is checked below.
        let strict = setStrictChecking(sk, true)
        defer { if strict && !setStrictChecking(sk, false) { sk.isReusable = false } }
        let rc = InterruptedDump.retrying {
            nl_cache_clear(cache)
            guard let message = nlmsg_alloc_simple(Int32(RTM_GETADDR), NLM_F_REQUEST | NLM_F_DUMP) else { return -NLE_NOMEM }
            defer { nlmsg_free(message) }
            var header = ifaddrmsg()
            header.ifa_family = UInt8(AF_UNSPEC)
            header.ifa_index = UInt32(bitPattern: index)
            var code = nlmsg_append(message, &header, MemoryLayout<ifaddrmsg>.size, Int32(NLMSG_ALIGNTO))
            if code < 0 { return code }
            code = nl_send_auto(sk.handle, message)
            if code < 0 { return code }
            return nl_cache_pickup(sk.handle, cache)
        }
        guard rc == 0 else { throw KernelError.interface(name, operation: operation, code: rc) }
        var result: [(index: Int32, address: IPAddress, prefixLength: Int)] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            defer { object = nl_cache_get_next(current) }
            let owner = rtnl_addr_get_ifindex(current)
            guard index == 0 || owner == index,
                  let local = rtnl_addr_get_local(current),
                  let raw = nl_addr_get_binary_addr(local),
                  let address = IPAddress(bytes: Array(UnsafeRawBufferPointer(start: raw, count: Int(nl_addr_get_len(local)))))
            else { continue }
            result.append((owner, address, Int(rtnl_addr_get_prefixlen(current))))
        }
        return result
    }

    /// NETLINK_GET_STRICT_CHK (12) at level SOL_NETLINK (270); true if the kernel took it.
    private static func setStrictChecking(_ sk: NetlinkSocket, _ on: Bool) -> Bool {
        var value: Int32 = on ? 1 : 0
        return setsockopt(nl_socket_get_fd(sk.handle), 270, 12, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// An rtnl_addr for add/delete; the caller puts it.
    static func addressRequest(_ address: IPAddress, prefixLength: Int, index: Int32,
                               name: String, operation: String) throws -> OpaquePointer {
        let family = address.family == .v4 ? AF_INET : AF_INET6
        guard let request = rtnl_addr_alloc() else { throw noMemory(name, operation) }
        var ok = false
        defer { if !ok { rtnl_addr_put(request) } }
        rtnl_addr_set_ifindex(request, index)
        rtnl_addr_set_family(request, family)
        let local = try nlAddress(family: family, address.bytes, name: name, operation: operation)
        defer { nl_addr_put(local) }
        try check(rtnl_addr_set_local(request, local), name, operation)
        // set_local copies the nl_addr's own prefix length (full width); override it after.
        rtnl_addr_set_prefixlen(request, Int32(prefixLength))
        if address.family == .v4, prefixLength < 31 {
            // `ip addr add` leaves the broadcast unset; Docker sets it, and containers that
            // broadcast on the subnet expect the bridge to answer.
            let hostBits = UInt128(32 - prefixLength)
            let broadcast = IPAddress(family: .v4, value: address.value | ((1 << hostBits) - 1))
            let bcast = try nlAddress(family: family, broadcast.bytes, name: name, operation: operation)
            defer { nl_addr_put(bcast) }
            try check(rtnl_addr_set_broadcast(request, bcast), name, operation)
        }
        if address.family == .v6 {
            rtnl_addr_set_flags(request, UInt32(IFA_F_NODAD))
        }
        ok = true
        return request
    }

    static func nlAddress(family: Int32, _ bytes: [UInt8], name: String, operation: String) throws -> OpaquePointer {
        let made = bytes.withUnsafeBytes { nl_addr_build(family, $0.baseAddress, $0.count) }
        guard let made else { throw noMemory(name, operation) }
        return made
    }

    static func setHardwareAddress(_ link: OpaquePointer, _ mac: [UInt8], name: String, operation: String) throws {
        // rtnl_link_set_addr takes its own reference.
        let address = try nlAddress(family: AF_LLC, mac, name: name, operation: operation)
        defer { nl_addr_put(address) }
        rtnl_link_set_addr(link, address)
    }

    /// Maps a libnl return code to an error naming the interface; 0 and positive are success.
    /// `mapInterfaceCodes` is off for address calls: their link was just looked up, and
    /// "exists" or "not found" there speak of the address, not the interface.
    static func check(_ rc: Int32, _ name: String, _ operation: String, mapInterfaceCodes: Bool = true) throws {
        guard rc < 0 else { return }
        switch rc {
        case -NLE_EXIST where mapInterfaceCodes:
            throw KernelError.interfaceExists(name, operation: operation)
        case -NLE_NODEV where mapInterfaceCodes, -NLE_OBJ_NOTFOUND where mapInterfaceCodes:
            throw KernelError.interfaceNotFound(name, operation: operation)
        default:
            throw KernelError.interface(name, operation: operation, code: rc)
        }
    }

    /// Enslaving to a full bridge fails with EXFULL (no port number left), which libnl maps
    /// to "Unspecific failure", or EBUSY on some kernels: for those codes, counts the bridge's
    /// ports and throws `bridgeFull` when it has them all.
    static func checkBridgeFull(_ sk: NetlinkSocket, _ rc: Int32, bridge: String, _ operation: String) throws {
        guard rc == -NLE_FAILURE || rc == -NLE_BUSY else { return }
        guard let master = try? LinkManager.fetch(sk, bridge, operation: operation) else { return }
        var cache: OpaquePointer?
        guard rtnl_link_alloc_cache(sk.handle, Int32(AF_UNSPEC), &cache) == 0, let cache else { return }
        defer { nl_cache_free(cache) }
        var ports = 0
        var object = nl_cache_get_first(cache)
        while let current = object {
            if rtnl_link_get_master(current) == master.index { ports += 1 }
            object = nl_cache_get_next(current)
        }
        if ports >= maximumBridgePorts { throw KernelError.bridgeFull(bridge, operation: operation) }
    }

    static func noMemory(_ name: String, _ operation: String) -> KernelError {
        .interface(name, operation: operation, code: -NLE_NOMEM)
    }

    // MARK: validation

    static func validate(mtu: Int?, for name: String) throws {
        if let mtu, !mtuRange.contains(mtu) { throw KernelError.invalidMTU(name, mtu: mtu) }
    }

    /// The kernel refuses multicast and all-zero addresses for Ethernet devices
    /// (is_valid_ether_addr) with a bare EADDRNOTAVAIL; refuse them here by name.
    static func validate(mac: [UInt8], for name: String) throws {
        guard mac.count == 6, mac[0] & 0x01 == 0, mac.contains(where: { $0 != 0 }) else {
            throw KernelError.invalidMAC(name, mac: mac)
        }
    }

    static func validate(prefixLength: Int, of address: IPAddress, on name: String) throws {
        guard (0...(address.family == .v4 ? 32 : 128)).contains(prefixLength) else {
            throw KernelError.invalidPrefixLength(name, address: address.description, prefixLength: prefixLength)
        }
    }

    /// Random unicast, locally administered (the same kind of address the kernel would pick).
    static func randomMAC() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var mac = (0..<6).map { _ in UInt8.random(in: 0...255, using: &generator) }
        mac[0] = (mac[0] & 0xFE) | 0x02
        return mac
    }
}
