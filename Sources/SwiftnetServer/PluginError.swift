/// Failures of a plugin call, mapped to the HTTP status dockerd sees.
enum PluginError: Error, CustomStringConvertible {
    /// The body is not the JSON this call takes.
    case badRequest(String)
    /// A well-formed request the driver refuses or cannot satisfy.
    case failed(String)

    var status: Int {
        switch self {
        case .badRequest: return 400
        case .failed: return 500
        }
    }

    var description: String {
        switch self {
        case .badRequest(let message), .failed(let message): return message
        }
    }
}
