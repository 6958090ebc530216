package enum HTTPServerError: Error, CustomStringConvertible, Equatable {
    case invalidConfiguration(String)
    case startFailed(String)

    package var description: String {
        switch self {
        case .invalidConfiguration(let reason):
            return "invalid HTTP server configuration: \(reason)"
        case .startFailed(let reason):
            return "HTTP server failed to start: \(reason)"
        }
    }
}
