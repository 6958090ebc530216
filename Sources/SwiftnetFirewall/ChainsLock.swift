#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One owner of a chain prefix per network namespace: a Unix socket bound, for the life of
/// this object, to a name in the abstract socket namespace. That namespace belongs to the
/// network namespace, as the iptables tables do, so servers in two namespaces may use one
/// prefix; and the kernel frees the name however the process ends (kill -9 too), so no file
/// is left to go stale. Two servers on one prefix would each restore the chains to their own
/// state, wiping the other's rules.
package final class ChainsLock: Sendable {
    package let prefix: String
    private let fd: Int32

    package init(prefix: String) throws(ChainsLockError) {
        self.prefix = prefix
        let name = ChainsLock.name(of: prefix)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .system(operation: "socket()", errno: errno) }
        guard ChainsLock.withAddress(name, { bind(fd, $0, $1) }) == 0 else {
            let code = errno
            close(fd)
            if code == EADDRINUSE { throw .held(prefix: prefix, holderPID: ChainsLock.holder(of: name)) }
            throw .system(operation: "bind()", errno: code)
        }
        // Listening only lets a refused process learn the holder's pid (SO_PEERCRED); nothing
        // is ever accepted, and a full backlog just leaves the pid unsaid.
        guard listen(fd, 1) == 0 else {
            let code = errno
            close(fd)
            throw .system(operation: "listen()", errno: code)
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// The abstract name (no file; the leading NUL is added by `withAddress`).
    static func name(of prefix: String) -> [UInt8] {
        Array("swiftnet/chains/\(prefix)".utf8)
    }

    /// The pid of the process holding `name`, if it can be learnt.
    private static func holder(of name: [UInt8]) -> Int32? {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard withAddress(name, { connect(fd, $0, $1) }) == 0 else { return nil }
        // `struct ucred` (pid, uid, gid) is hidden from Swift behind _GNU_SOURCE.
        var credentials: (pid: Int32, uid: UInt32, gid: UInt32) = (0, 0, 0)
        var length = socklen_t(MemoryLayout.size(ofValue: credentials))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, credentials.pid > 0 else { return nil }
        return credentials.pid
    }

    private static func withAddress(_ name: [UInt8], _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let used = withUnsafeMutableBytes(of: &address.sun_path) { raw -> Int in
            // Abstract: a NUL first, then the name; its length is the address length, not a NUL.
            let count = min(name.count, raw.count - 1)
            raw[0] = 0
            raw.baseAddress!.advanced(by: 1).copyMemory(from: name, byteCount: count)
            return count + 1
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + used)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

package enum ChainsLockError: Error, CustomStringConvertible, Equatable {
    case held(prefix: String, holderPID: Int32?)
    case system(operation: String, errno: Int32)

    package var description: String {
        switch self {
        case .held(let prefix, let pid):
            let who = pid.map { "another swiftnet (pid \($0))" } ?? "another swiftnet"
            return "\(who) owns the iptables chains \(prefix)-… in this network namespace; "
                + "two servers need different --chain-prefix values (or stop that one first)"
        case .system(let operation, let code):
            return "cannot take the chain prefix: \(operation) failed: \(String(cString: strerror(code)))"
        }
    }
}
