/// What an etcd call can fail with. Every message starts with "etcd", so that an error that
/// reaches dockerd's output says which system failed.
package enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidEndpoint(String, reason: String)
    /// No endpoint answered within the call's time: each endpoint with why it failed.
    case unreachable(attempts: [String], seconds: Double)
    /// etcd answered with an error (gRPC status `code`, its message).
    case server(endpoint: String, status: Int, code: Int, message: String)
    /// etcd answered something this client cannot read.
    case malformedResponse(endpoint: String, String)
    /// A watch ended: closed by etcd or the network, or cancelled by etcd (compaction).
    case watchEnded(String)

    package var description: String {
        switch self {
        case .invalidEndpoint(let text, let reason):
            return "etcd endpoint '\(text)': \(reason)"
        case .unreachable(let attempts, let seconds):
            return "etcd unreachable (no answer within \(Self.format(seconds)) s): " + attempts.joined(separator: "; ")
        case .server(let endpoint, let status, let code, let message):
            return "etcd at \(endpoint) refused the request: \(message) (HTTP \(status), gRPC code \(code))"
        case .malformedResponse(let endpoint, let what):
            return "etcd at \(endpoint) answered something unreadable: \(what)"
        case .watchEnded(let why):
            return "etcd watch ended: \(why)"
        }
    }

    /// gRPC NOT_FOUND, as etcd answers for an unknown lease.
    package var isNotFound: Bool {
        if case .server(_, _, 5, _) = self { return true }
        return false
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
