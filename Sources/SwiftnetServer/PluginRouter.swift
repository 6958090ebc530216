import Logging
import SwiftnetHTTP
import SwiftnetPluginAPI

/// Maps `POST /<Interface>.<Method>` to handlers and turns their errors into the shapes
/// dockerd understands: 400 for undecodable bodies, 404 for unknown calls, 500 `{"Err"}`
/// for everything a driver refuses.
public final class PluginRouter: HTTPHandler {
    public typealias Handler = @Sendable (_ body: [UInt8]) throws -> [UInt8]

    private let routes: [String: Handler]
    /// Read-only calls for people and tools (`GET /state`), apart from dockerd's POSTs.
    private let readRoutes: [String: Handler]
    private let logger: Logger

    init(routes: [String: Handler], readRoutes: [String: Handler] = [:], logger: Logger) {
        self.routes = routes
        self.readRoutes = readRoutes
        self.logger = logger
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.method == "GET", let read = readRoutes[request.path] {
            return (try? .json(200, read(request.body))) ?? .json(500, PluginCodec.errorBody("\(request.path) failed"))
        }
        guard let handler = routes[request.path] else {
            logger.debug("unknown call", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
            return .json(404, PluginCodec.errorBody("unknown plugin call \(request.method) \(request.path)"))
        }
        guard request.method == "POST" else {
            return .json(405, PluginCodec.errorBody("\(request.path) takes POST, not \(request.method)"))
        }
        do {
            return .json(200, try handler(request.body))
        } catch let error as PluginError {
            logger.warning("call failed", metadata: ["call": "\(request.path)", "status": "\(error.status)",
                                                    "error": "\(error)"])
            return .json(error.status, PluginCodec.errorBody(error.description))
        } catch {
            logger.error("call failed", metadata: ["call": "\(request.path)", "error": "\(error)"])
            return .json(500, PluginCodec.errorBody("\(request.path.dropFirst()): \(error)"))
        }
    }
}
