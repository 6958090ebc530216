#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

package enum UnixSocketError: Error, CustomStringConvertible, Equatable {
    case invalidPath(path: String, reason: String)
    /// `sockaddr_un.sun_path` holds 108 bytes including the terminating NUL.
    case pathTooLong(path: String, bytes: Int, maximum: Int)
    /// A socket file exists and something accepts connections on it.
    case alreadyListening(path: String)
    /// Something other than a socket exists at the path; it is never deleted.
    case notASocket(path: String)
    case system(operation: String, path: String, errno: Int32)

    package var description: String {
        switch self {
        case .invalidPath(let path, let reason):
            return "invalid unix socket path '\(path)': \(reason)"
        case .pathTooLong(let path, let bytes, let maximum):
            return "unix socket path '\(path)' is \(bytes) bytes long; at most \(maximum) bytes fit in sun_path"
        case .alreadyListening(let path):
            return "another process is already listening on unix socket '\(path)'"
        case .notASocket(let path):
            return "'\(path)' exists and is not a unix socket; refusing to replace it"
        case .system(let operation, let path, let code):
            return "\(operation) '\(path)' failed: \(String(cString: strerror(code))) (errno \(code))"
        }
    }
}
