import Logging
import SwiftnetHTTP
import SwiftnetJSON
import SwiftnetPluginAPI

/// Maps `POST /<Interface>.<Method>` to handlers and turns their errors into the shapes
/// dockerd understands: 400 for undecodable bodies, 404 for unknown calls, 500 `{"Err"}`
/// for everything a driver refuses. Every answer is counted and timed for `/metrics`.
package final class PluginRouter: HTTPHandler {
    package typealias Handler = @Sendable (_ body: [UInt8]) throws -> [UInt8]
    package typealias ReadHandler = @Sendable () -> HTTPResponse

    private let routes: [String: Handler]
    /// Read-only calls for people and tools (`GET /state`, `/metrics`…), apart from dockerd's POSTs.
    private let readRoutes: [String: ReadHandler]
    private let metrics: PluginMetrics?
    private let logger: Logger

    init(routes: [String: Handler], readRoutes: [String: ReadHandler] = [:], metrics: PluginMetrics?, logger: Logger) {
        self.routes = routes
        self.readRoutes = readRoutes
        self.metrics = metrics
        self.logger = logger
    }

    package func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = ContinuousClock.now
        let (call, response) = route(request)
        metrics?.requestFinished(call: call, status: response.status, duration: ContinuousClock.now - started)
        return response
    }

    /// The answer, and the name the request is counted under.
    private func route(_ request: HTTPRequest) -> (String, HTTPResponse) {
        if request.method == "GET", let read = readRoutes[request.path] {
            return ("GET " + request.path, read())
        }
        guard let handler = routes[request.path] else {
            logger.debug("unknown call", metadata: ["method": "\(request.method)", "path": "\(request.path)"])
            let known = readRoutes[request.path] != nil
            return ("unknown", .json(known ? 405 : 404, PluginCodec.errorBody(
                known ? "\(request.path) takes GET, not \(request.method)" : "unknown plugin call \(request.method) \(request.path)")))
        }
        let call = String(request.path.dropFirst())
        guard request.method == "POST" else {
            return (call, .json(405, PluginCodec.errorBody("\(request.path) takes POST, not \(request.method)")))
        }
        do {
            return (call, .json(200, try handler(request.body)))
        } catch let error as PluginError {
            logger.warning("\(call) failed", metadata: PluginRouter.ids(in: request.body).merging(
                ["status": "\(error.status)", "error": "\(error)"]) { first, _ in first })
            return (call, .json(error.status, PluginCodec.errorBody(error.description)))
        } catch {
            logger.error("\(call) failed", metadata: PluginRouter.ids(in: request.body).merging(["error": "\(error)"]) { first, _ in first })
            return (call, .json(500, PluginCodec.errorBody("\(call): \(error)")))
        }
    }

    /// The ids a failed call was about, for its log line (parsed only on failure).
    static func ids(in body: [UInt8]) -> Logger.Metadata {
        guard case .object(let object)? = try? JSONParser.parse(body) else { return [:] }
        var metadata: Logger.Metadata = [:]
        for (key, label) in [("NetworkID", "network"), ("EndpointID", "endpoint"), ("PoolID", "poolID"), ("Address", "address"),
                             ("Pool", "pool")] {
            if case .string(let value)? = object[key], !value.isEmpty {
                metadata[label] = "\(label == "network" || label == "endpoint" ? String(value.prefix(12)) : value)"
            }
        }
        return metadata
    }
}
