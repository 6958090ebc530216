#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

package enum HTTPClientError: Error, CustomStringConvertible, Equatable {
    case invalidSocketPath(path: String, reason: String)
    case connectFailed(path: String, errno: Int32)
    case timedOut(operation: String, seconds: Double)
    /// The server closed the connection before a complete response arrived.
    case connectionClosed(String)
    case malformedResponse(String)
    case system(operation: String, errno: Int32)

    package var description: String {
        switch self {
        case .invalidSocketPath(let path, let reason):
            return "invalid unix socket path '\(path)': \(reason)"
        case .connectFailed(let path, let code):
            return "cannot connect to unix socket '\(path)': \(Self.text(code)) (errno \(code))"
        case .timedOut(let operation, let seconds):
            return "\(operation) timed out after \(seconds) s"
        case .connectionClosed(let detail):
            return "server closed the connection \(detail)"
        case .malformedResponse(let detail):
            return "malformed HTTP response: \(detail)"
        case .system(let operation, let code):
            return "\(operation) failed: \(Self.text(code)) (errno \(code))"
        }
    }

    private static func text(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
