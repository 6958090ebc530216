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

extension PluginError {
    /// Runs `body`; any error it throws that is not already a `PluginError` (a driver's refusal,
    /// a kernel or etcd failure: their text says which) becomes `.failed`, a 500 `{"Err"}`.
    static func failedOnError<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PluginError {
            throw error
        } catch {
            throw PluginError.failed("\(error)")
        }
    }
}
