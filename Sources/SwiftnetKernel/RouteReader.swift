import CNetlink
import Glibc
import SwiftnetAddress

/// Reads the host's routing tables (all of them: main, local, policy tables) through netlink,
/// so that automatic pools avoid every subnet the host already reaches, VPNs included.
package struct RouteReader {
    package init() {}

    package func routes(family: IPFamily) throws -> [HostRoute] {
        let socket = try NetlinkSocket()
        var cache: OpaquePointer?
        let rc = InterruptedDump.retrying {
            return rtnl_route_alloc_cache(socket.handle, family == .v4 ? AF_INET : AF_INET6, 0, &cache)
        }
        guard rc == 0, let cache else { throw KernelError.netlink("rtnl_route_alloc_cache", code: rc) }
        defer { nl_cache_free(cache) }

        var result: [HostRoute] = []
        var object = nl_cache_get_first(cache)
        while let current = object {
            defer { object = nl_cache_get_next(current) }
            let route = current
            // Multicast routes (ff00::/8, 224/4 entries) are not subnets anyone lives in.
            if rtnl_route_get_type(route) == UInt8(RTN_MULTICAST) { continue }
            guard let destination = rtnl_route_get_dst(route),
                  let prefix = RouteReader.prefix(of: destination, family: family),
                  prefix.length > 0
            else { continue }
            var device = ""
            if rtnl_route_get_nnexthops(route) > 0, let hop = rtnl_route_nexthop_n(route, 0) {
                var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
                if if_indextoname(UInt32(rtnl_route_nh_get_ifindex(hop)), &name) != nil {
                    device = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
            result.append(HostRoute(prefix: prefix, device: device))
        }
        return result
    }

    static func prefix(of address: OpaquePointer, family: IPFamily) -> IPPrefix? {
        let length = Int(nl_addr_get_len(address))
        guard length == (family == .v4 ? 4 : 16), let raw = nl_addr_get_binary_addr(address) else { return nil }
        let bytes = Array(UnsafeRawBufferPointer(start: raw, count: length))
        guard let ip = IPAddress(bytes: bytes) else { return nil }
        return IPPrefix(address: ip, length: Int(nl_addr_get_prefixlen(address)))
    }
}
