import CNetlink
import Glibc
import SwiftnetAddress

/// The VXLAN dataplane of a multi-host network: the device, and the static FDB and neighbour
/// entries that say where each remote endpoint is (Docker's overlay driver programs the same
/// two entries per remote peer; see the research notes §3.3). No learning and no flood entry:
/// remote endpoints are known from etcd, so nothing is ever flooded across hosts.
extension LinkManager {
    /// Highest VNI: 24 bits.
    package static let vniRange: ClosedRange<UInt32> = 1...(1 << 24) - 1

    /// Creates a VXLAN device, down: `vni`, sending from `local` to UDP `port`, learning off,
    /// ARP/ND proxy on. Fails with `interfaceExists` if the name is taken.
    package func createVXLAN(name: String, vni: UInt32, local: IPAddress, port: UInt16 = 4789, mtu: Int? = nil) throws {
        try InterfaceName.validate(name)
        try LinkManager.validate(mtu: mtu, for: name)
        let operation = "create VXLAN \(name) (VNI \(vni))"
        guard LinkManager.vniRange.contains(vni) else {
            throw KernelError.netlink("\(operation): a VNI must be 1…\(LinkManager.vniRange.upperBound)", code: -NLE_INVAL)
        }
        guard port > 0 else { throw KernelError.netlink("\(operation): UDP port 0", code: -NLE_INVAL) }
        try withSocket { sk in
            guard let link = rtnl_link_vxlan_alloc() else { throw LinkManager.noMemory(name, operation) }
            defer { rtnl_link_put(link) }
            rtnl_link_set_name(link, name)
            if let mtu { rtnl_link_set_mtu(link, UInt32(mtu)) }
            let family = local.family == .v4 ? AF_INET : AF_INET6
            let address = try LinkManager.nlAddress(family: family, local.bytes, name: name, operation: operation)
            defer { nl_addr_put(address) }
            try LinkManager.check(rtnl_link_vxlan_set_id(link, vni), name, operation)
            try LinkManager.check(rtnl_link_vxlan_set_local(link, address), name, operation)
            try LinkManager.check(rtnl_link_vxlan_set_port(link, UInt32(port)), name, operation)
            try LinkManager.check(rtnl_link_vxlan_set_learning(link, 0), name, operation)
            try LinkManager.check(rtnl_link_vxlan_set_proxy(link, 1), name, operation)
            try LinkManager.check(rtnl_link_add(sk.handle, link, NLM_F_CREATE | NLM_F_EXCL), name, operation)
        }
    }

    /// The device's VXLAN settings; nil when there is no such link, an error when it is not VXLAN.
    package func vxlan(named name: String) throws -> VXLANInfo? {
        try InterfaceName.validate(name)
        let operation = "read VXLAN \(name)"
        return try withSocket { sk in
            var link: OpaquePointer?
            let rc = rtnl_link_get_kernel(sk.handle, 0, name, &link)
            if rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND { return nil }
            guard rc == 0, let link else { throw KernelError.interface(name, operation: operation, code: rc) }
            defer { rtnl_link_put(link) }
            guard rtnl_link_is_vxlan(link) != 0 else {
                throw KernelError.interface(name, operation: operation + " (it is a \(rtnl_link_get_type(link).map { String(cString: $0) } ?? "device"))", code: -NLE_OPNOTSUPP)
            }
            var vni: UInt32 = 0
            var port: UInt32 = 0
            var local: OpaquePointer?
            _ = rtnl_link_vxlan_get_id(link, &vni)
            _ = rtnl_link_vxlan_get_port(link, &port)
            var localAddress: IPAddress?
            if rtnl_link_vxlan_get_local(link, &local) == 0, let local {
                defer { nl_addr_put(local) }
                localAddress = LinkManager.ipAddress(local)
            }
            return VXLANInfo(vni: vni, local: localAddress, port: UInt16(truncatingIfNeeded: port),
                             learning: rtnl_link_vxlan_get_learning(link) == 1, proxy: rtnl_link_vxlan_get_proxy(link) == 1)
        }
    }

    // MARK: FDB

    /// Adds (or replaces) the permanent FDB entry for `entry.mac` on `device`: one destination
    /// per MAC, as each endpoint lives on one host.
    package func addForwardingEntry(_ entry: ForwardingEntry, device: String) throws {
        try changeNeighbour(device, "add FDB entry \(entry) on \(device)", add: true) { neigh in
            try LinkManager.fill(neigh, forwarding: entry, device: device)
        }
    }

    /// Deletes the FDB entry; false if there was none.
    @discardableResult
    package func deleteForwardingEntry(_ entry: ForwardingEntry, device: String) throws -> Bool {
        try changeNeighbour(device, "delete FDB entry \(entry) on \(device)", add: false) { neigh in
            try LinkManager.fill(neigh, forwarding: entry, device: device)
        }
    }

    /// The permanent FDB entries with a remote destination on `device`.
    package func forwardingEntries(device: String) throws -> [ForwardingEntry] {
        try dumpNeighbours(device: device, operation: "list FDB entries of \(device)") { neigh in
            guard rtnl_neigh_get_family(neigh) == AF_BRIDGE,
                  rtnl_neigh_get_state(neigh) & Int32(NUD_PERMANENT) != 0,
                  let mac = rtnl_neigh_get_lladdr(neigh).flatMap(LinkManager.bytes),
                  let dst = rtnl_neigh_get_dst(neigh).flatMap(LinkManager.ipAddress)
            else { return nil }
            return ForwardingEntry(mac: mac, destination: dst)
        }
    }

    // MARK: neighbours

    /// Adds (or replaces) the permanent neighbour entry on `device`.
    package func addNeighbour(_ entry: NeighbourEntry, device: String) throws {
        try changeNeighbour(device, "add neighbour \(entry) on \(device)", add: true) { neigh in
            try LinkManager.fill(neigh, neighbour: entry, device: device)
        }
    }

    /// Deletes the neighbour entry for `entry.address`; false if there was none.
    @discardableResult
    package func deleteNeighbour(_ entry: NeighbourEntry, device: String) throws -> Bool {
        try changeNeighbour(device, "delete neighbour \(entry) on \(device)", add: false) { neigh in
            try LinkManager.fill(neigh, neighbour: entry, device: device)
        }
    }

    /// The permanent IPv4/IPv6 neighbour entries on `device`.
    package func neighbours(device: String) throws -> [NeighbourEntry] {
        try dumpNeighbours(device: device, operation: "list neighbours of \(device)") { neigh in
            let family = rtnl_neigh_get_family(neigh)
            guard family == AF_INET || family == AF_INET6,
                  rtnl_neigh_get_state(neigh) & Int32(NUD_PERMANENT) != 0,
                  let mac = rtnl_neigh_get_lladdr(neigh).flatMap(LinkManager.bytes),
                  let address = rtnl_neigh_get_dst(neigh).flatMap(LinkManager.ipAddress)
            else { return nil }
            return NeighbourEntry(address: address, mac: mac)
        }
    }

    // MARK: plumbing

    /// One RTM_NEWNEIGH (create or replace) or RTM_DELNEIGH on `device`. True if it changed
    /// something; a delete of an absent entry answers false.
    @discardableResult
    private func changeNeighbour(_ device: String, _ operation: String, add: Bool,
                                 _ configure: (OpaquePointer) throws -> Void) throws -> Bool {
        try InterfaceName.validate(device)
        return try withSocket { sk in
            let index = try LinkManager.index(sk, device, operation: operation)
            guard let neigh = rtnl_neigh_alloc() else { throw LinkManager.noMemory(device, operation) }
            defer { rtnl_neigh_put(neigh) }
            rtnl_neigh_set_ifindex(neigh, index)
            try configure(neigh)
            rtnl_neigh_set_state(neigh, Int32(NUD_PERMANENT))
            let rc = add ? rtnl_neigh_add(sk.handle, neigh, NLM_F_CREATE | NLM_F_REPLACE) : rtnl_neigh_delete(sk.handle, neigh, 0)
            if !add && (rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NOADDR || rc == -NLE_FAILURE) {
                // ENOENT from the kernel maps to NLE_OBJ_NOTFOUND, and for FDB deletes to others.
                return false
            }
            try LinkManager.check(rc, device, operation, mapInterfaceCodes: false)
            return true
        }
    }

    private static func fill(_ neigh: OpaquePointer, forwarding entry: ForwardingEntry, device: String) throws {
        let operation = "FDB entry \(entry) on \(device)"
        try validate(mac: entry.mac, for: device)
        let mac = try nlAddress(family: AF_LLC, entry.mac, name: device, operation: operation)
        defer { nl_addr_put(mac) }
        let dst = try nlAddress(family: entry.destination.family == .v4 ? AF_INET : AF_INET6, entry.destination.bytes,
                                name: device, operation: operation)
        defer { nl_addr_put(dst) }
        rtnl_neigh_set_lladdr(neigh, mac)
        // The destination first: libnl takes the entry's family from it unless one is set, and
        // refuses a destination of another family than one already set.
        try check(rtnl_neigh_set_dst(neigh, dst), device, operation, mapInterfaceCodes: false)
        rtnl_neigh_set_family(neigh, AF_BRIDGE)
        rtnl_neigh_set_flags(neigh, UInt32(NTF_SELF))
    }

    private static func fill(_ neigh: OpaquePointer, neighbour entry: NeighbourEntry, device: String) throws {
        let operation = "neighbour \(entry) on \(device)"
        try validate(mac: entry.mac, for: device)
        let mac = try nlAddress(family: AF_LLC, entry.mac, name: device, operation: operation)
        defer { nl_addr_put(mac) }
        let dst = try nlAddress(family: entry.address.family == .v4 ? AF_INET : AF_INET6, entry.address.bytes,
                                name: device, operation: operation)
        defer { nl_addr_put(dst) }
        rtnl_neigh_set_lladdr(neigh, mac)
        try check(rtnl_neigh_set_dst(neigh, dst), device, operation, mapInterfaceCodes: false)
    }

    /// Dumps every neighbour and FDB entry of the namespace and keeps those of `device` that
    /// `read` accepts. Not a hot path: drift checks only.
    private func dumpNeighbours<Entry>(device: String, operation: String,
                                       _ read: (OpaquePointer) -> Entry?) throws -> [Entry] {
        try InterfaceName.validate(device)
        return try withSocket { sk in
            let index = try LinkManager.index(sk, device, operation: operation)
            var cache: OpaquePointer?
            // One dump per family (AF_UNSPEC, then AF_BRIDGE): an AF_UNSPEC dump alone leaves
            // out the FDB entries of VXLAN devices.
            let rc = InterruptedDump.retrying { rtnl_neigh_alloc_cache_flags(sk.handle, &cache, UInt32(NL_CACHE_AF_ITER)) }
            guard rc == 0, let cache else { throw KernelError.netlink(operation, code: rc) }
            defer { nl_cache_free(cache) }
            var result: [Entry] = []
            var object = nl_cache_get_first(cache)
            while let current = object {
                defer { object = nl_cache_get_next(current) }
                guard rtnl_neigh_get_ifindex(current) == index, let entry = read(current) else { continue }
                result.append(entry)
            }
            return result
        }
    }

    static func bytes(_ address: OpaquePointer) -> [UInt8]? {
        guard let raw = nl_addr_get_binary_addr(address) else { return nil }
        return Array(UnsafeRawBufferPointer(start: raw, count: Int(nl_addr_get_len(address))))
    }

    static func ipAddress(_ address: OpaquePointer) -> IPAddress? {
        bytes(address).flatMap { IPAddress(bytes: $0) }
    }
}
