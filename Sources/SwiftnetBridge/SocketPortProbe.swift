import Foundation
import Glibc
import SwiftnetAddress
import SwiftnetIPAM
import SwiftnetNetworkModel

/// Checks a host port by binding it for a moment: a port some process holds is not
/// published over it. (DNAT'ed ports hold no socket; swiftnet checks its own apart.)
package struct SocketPortProbe: HostPortProbe {
    package let ephemeralRange: ClosedRange<Int>

    package init() {
        ephemeralRange = SocketPortProbe.localPortRange() ?? 49153...65535
    }

    /// `net.ipv4.ip_local_port_range`, which dockerd also draws ephemeral host ports from.
    static func localPortRange() -> ClosedRange<Int>? {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8) else { return nil }
        let numbers = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { Int($0) }
        guard numbers.count == 2, numbers[0] > 0, numbers[1] >= numbers[0] else { return nil }
        return numbers[0]...numbers[1]
    }

    package func isFree(proto: TransportProtocol, hostIP: IPAddress?, family wanted: IPFamily, port: Int) -> Bool {
        guard proto != .sctp else { return true }  // SCTP sockets may not exist here; DNAT needs none
        guard let port = UInt16(exactly: port), port > 0 else { return false }
        let family = hostIP?.family ?? wanted
        let fd = socket(family == .v4 ? AF_INET : AF_INET6,
                        Int32(proto == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        if family == .v6 {
            // Only IPv6: an IPv4 listener on the port does not hold it for IPv6 bindings.
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var result: Int32
        if family == .v4 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(port.bigEndian)
            address.sin_addr.s_addr = UInt32(truncatingIfNeeded: hostIP?.value ?? 0).bigEndian
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        } else {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = in_port_t(port.bigEndian)
            let bytes = hostIP?.bytes ?? [UInt8](repeating: 0, count: 16)
            withUnsafeMutableBytes(of: &address.sin6_addr) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        // Only "in use" says no; an address this host lacks (EADDRNOTAVAIL) is the user's choice.
        return result == 0 || errno != EADDRINUSE
    }
}
