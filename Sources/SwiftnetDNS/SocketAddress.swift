import Glibc
import SwiftnetAddress

/// An IPv4 or IPv6 address with a UDP port, as the socket calls take and give it.
package struct SocketAddress: Sendable, Equatable, CustomStringConvertible {
    package var address: IPAddress
    package var port: UInt16

    package init(_ address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    package var description: String { address.family == .v4 ? "\(address):\(port)" : "[\(address)]:\(port)" }

    var domain: Int32 { address.family == .v4 ? AF_INET : AF_INET6 }

    /// Calls `body` with this address as a `sockaddr` and its length.
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var storage = sockaddr_storage()
        let bytes = address.bytes
        if address.family == .v4 {
            return withUnsafeMutableBytes(of: &storage) { raw in
                let v4 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in.self)
                v4.pointee.sin_family = sa_family_t(AF_INET)
                v4.pointee.sin_port = port.bigEndian
                withUnsafeMutableBytes(of: &v4.pointee.sin_addr) { $0.copyBytes(from: bytes) }
                return body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return withUnsafeMutableBytes(of: &storage) { raw in
            let v6 = raw.baseAddress!.assumingMemoryBound(to: sockaddr_in6.self)
            v6.pointee.sin6_family = sa_family_t(AF_INET6)
            v6.pointee.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &v6.pointee.sin6_addr) { $0.copyBytes(from: bytes) }
            return body(raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
    }

    /// The address a `recvfrom`/`getsockname` filled in; nil for a family other than IPv4/IPv6.
    init?(storage: sockaddr_storage) {
        var storage = storage
        let parsed: SocketAddress? = withUnsafeBytes(of: &storage) { raw in
            switch Int32(raw.load(as: sockaddr.self).sa_family) {
            case AF_INET:
                let v4 = raw.load(as: sockaddr_in.self)
                let bytes = withUnsafeBytes(of: v4.sin_addr) { Array($0) }
                return IPAddress(bytes: bytes).map { SocketAddress($0, port: UInt16(bigEndian: v4.sin_port)) }
            case AF_INET6:
                let v6 = raw.load(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: v6.sin6_addr) { Array($0) }
                return IPAddress(bytes: bytes).map { SocketAddress($0, port: UInt16(bigEndian: v6.sin6_port)) }
            default:
                return nil
            }
        }
        guard let parsed else { return nil }
        self = parsed
    }
}
