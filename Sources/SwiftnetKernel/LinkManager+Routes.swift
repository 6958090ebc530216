import CNetlink
import Glibc
import SwiftnetAddress

/// Routes through a link with no next hop (scope link), in the main table: what the host shim
/// of a macvlan or ipvlan network needs to reach its containers.
extension LinkManager {
    /// Adds `prefix dev name scope link`. Already there through the same link is success; a
    /// route to the same prefix through another link is an error naming it.
    package func addConnectedRoute(_ prefix: IPPrefix, through name: String) throws {
        try InterfaceName.validate(name)
        let operation = "add route \(prefix) dev \(name)"
        try withSocket { sk in
            let index = try LinkManager.index(sk, name, operation: operation)
            let route = try LinkManager.connectedRoute(prefix, index: index, name: name, operation: operation)
            defer { rtnl_route_put(route) }
            let rc = rtnl_route_add(sk.handle, route, NLM_F_CREATE | NLM_F_EXCL)
            if rc == -NLE_EXIST {
                let present = try RouteReader().routes(family: prefix.family).filter { $0.prefix == prefix }
                if present.contains(where: { $0.device == name }) { return }
                let others = present.map { $0.device.isEmpty ? "another route" : "dev \($0.device)" }
                throw KernelError.interface(name, operation: operation + " (the host routes \(prefix) through \(others.joined(separator: ", ")) already)",
                                            code: rc)
            }
            try LinkManager.check(rc, name, operation, mapInterfaceCodes: false)
        }
    }

    /// Deletes `prefix dev name`; false when there was no such route.
    @discardableResult
    package func deleteConnectedRoute(_ prefix: IPPrefix, through name: String) throws -> Bool {
        try InterfaceName.validate(name)
        let operation = "delete route \(prefix) dev \(name)"
        return try withSocket { sk in
            guard let link = try LinkManager.fetch(sk, name, operation: operation) else { return false }
            let route = try LinkManager.connectedRoute(prefix, index: link.index, name: name, operation: operation)
            defer { rtnl_route_put(route) }
            let rc = rtnl_route_delete(sk.handle, route, 0)
            if rc == -NLE_OBJ_NOTFOUND || rc == -NLE_NOADDR { return false }
            try LinkManager.check(rc, name, operation, mapInterfaceCodes: false)
            return true
        }
    }

    /// An rtnl_route for add/delete; the caller puts it.
    static func connectedRoute(_ prefix: IPPrefix, index: Int32, name: String, operation: String) throws -> OpaquePointer {
        let family = prefix.family == .v4 ? AF_INET : AF_INET6
        guard let route = rtnl_route_alloc() else { throw noMemory(name, operation) }
        var ok = false
        defer { if !ok { rtnl_route_put(route) } }
        let destination = try nlAddress(family: family, prefix.network.bytes, name: name, operation: operation)
        defer { nl_addr_put(destination) }
        nl_addr_set_prefixlen(destination, Int32(prefix.length))
        rtnl_route_set_family(route, UInt8(family))
        try check(rtnl_route_set_dst(route, destination), name, operation, mapInterfaceCodes: false)
        rtnl_route_set_table(route, UInt32(RT_TABLE_MAIN.rawValue))
        rtnl_route_set_scope(route, UInt8(RT_SCOPE_LINK.rawValue))
        rtnl_route_set_protocol(route, UInt8(RTPROT_STATIC))
        rtnl_route_set_type(route, UInt8(RTN_UNICAST))
        guard let hop = rtnl_route_nh_alloc() else { throw noMemory(name, operation) }
        rtnl_route_nh_set_ifindex(hop, index)
        // The route owns the hop from here on.
        rtnl_route_add_nexthop(route, hop)
        ok = true
        return route
    }
}
