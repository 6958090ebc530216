import Logging
import SwiftnetHTTP
import SwiftnetJSON
import SwiftnetOperator
import SwiftnetPlugin

/// The calls for operators and their tools on the plugin socket, beside dockerd's:
/// - `GET /state`: the `StateView` (what `swiftnet ls`, `inspect` and `pools` show);
/// - `GET /doctor`: the doctor's findings; `POST /Swiftnet.Repair`: `doctor --fix`;
/// - `POST /Swiftnet.GC` `{"DryRun": bool}`: `swiftnet gc`;
/// - `GET /healthz`: 200 while the state file answers and file descriptors are left;
///   `GET /metrics`: Prometheus text.
struct OperatorRoutes: Sendable {
    let runtime: Plugin
    let metrics: PluginMetrics
    let watchdog: ResourceWatchdog
    let logger: Logger

    var routes: [String: PluginRouter.Handler] {
        [
            "/Swiftnet.Repair": { _ in
                let report = try runtime.repair()
                metrics.repaired(report.repairs.count, by: "doctor")
                logger.info("doctor --fix", metadata: ["before": "\(report.before?.count ?? 0)", "repairs": "\(report.repairs.count)",
                                                       "remaining": "\(report.findings.count)"])
                return report.json.serialized
            },
            "/Swiftnet.GC": { body in
                // The body is required: an empty POST must not free anything by accident.
                let usage = PluginError.badRequest("Swiftnet.GC: expected {\"DryRun\": true|false, \"MinimumAgeSeconds\": N ≥ 0}")
                guard case .object(let object)? = try? JSONParser.parse(body), case .bool(let dryRun)? = object["DryRun"] else {
                    throw usage
                }
                var minimumAge = Plugin.leakMinimumAge
                switch object["MinimumAgeSeconds"] {
                case nil, .null?: break
                case .number(let seconds)? where seconds >= 0 && seconds < 1e9 && seconds.rounded() == seconds:
                    minimumAge = Int(seconds)
                default: throw usage
                }
                let report = runtime.collectGarbage(dryRun: dryRun, minimumAge: minimumAge)
                if !dryRun { metrics.repaired(report.freed.count + report.addresses.count, by: "gc") }
                logger.info("gc", metadata: ["dryRun": "\(dryRun)", "endpoints": "\(report.freed.count)",
                                             "addresses": "\(report.addresses.count)"])
                return report.json.serialized
            },
        ]
    }

    func readRoutes(started: ContinuousClock.Instant) -> [String: PluginRouter.ReadHandler] {
        [
            "/state": { .json(200, runtime.stateView(running: true).json.serialized) },
            "/doctor": {
                do {
                    return .json(200, try runtime.diagnose().json.serialized)
                } catch {
                    return .json(500, PluginCodec.errorBody("doctor: \(error)"))
                }
            },
            "/healthz": {
                let uptime = Double((ContinuousClock.now - started).components.seconds)
                // Before the store: a server out of descriptors is failing even if SQLite,
                // whose file is already open, still answers.
                let descriptors = watchdog.usage()
                if let problem = descriptors.problem {
                    return .json(503, JSONValue.object(["status": .string("failing"), "error": .string(problem)]).serialized)
                }
                do {
                    try runtime.checkStore()
                    let records = runtime.driver.records
                    return .json(200, JSONValue.object([
                        "status": .string("ok"), "version": .string(Plugin.version),
                        "networks": .number(Double(records.networks.count)), "endpoints": .number(Double(records.endpoints.count)),
                        "uptimeSeconds": .number(uptime),
                        "fileDescriptors": .object(["open": descriptors.open.map { .number(Double($0)) } ?? .null,
                                                    "limit": .number(Double(descriptors.limit))]),
                    ]).serialized)
                } catch {
                    return .json(503, JSONValue.object(["status": .string("failing"), "error": .string("state file: \(error)")]).serialized)
                }
            },
            "/metrics": {
                HTTPResponse(status: 200, body: metrics.exposition(of: runtime.stateView(running: true)),
                             contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
        ]
    }
}
