import ArgumentParser
import Dispatch
import Foundation
import Logging
import SwiftnetHTTP
import SwiftnetIPAM
import SwiftnetServer

/// `swiftnet serve`: answers dockerd on the plugin socket until SIGTERM or SIGINT.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve Docker's NetworkDriver and IpamDriver plugin protocols on a Unix socket.",
        discussion: """
            dockerd finds the plugin by its socket name: /run/docker/plugins/swiftnet.sock is the \
            driver `swiftnet`. State (pools, addresses) is kept in --state and survives restarts; \
            only one server may use a state file at a time.
            """
    )

    @Option(help: "Unix socket to listen on; its file name (without .sock) is the driver name dockerd uses.")
    var socket = "/run/docker/plugins/swiftnet.sock"

    @Option(help: "SQLite state file (created with its folder, mode 0700, if missing).")
    var state = "/var/lib/swiftnet/swiftnet.db"

    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical. Logs go to stderr.")
    var logLevel: String = "info"

    @Option(name: .customLong("default-address-pool"),
            help: ArgumentHelp("Automatic pool range for local networks, as dockerd takes it: base=CIDR,size=N. Repeat for several; replaces dockerd's predefined list for that family.",
                               valueName: "base=CIDR,size=N"))
    var localPools: [String] = []

    @Option(name: .customLong("global-address-pool"),
            help: ArgumentHelp("Automatic pool range for global-scope networks (default base=10.0.0.0/8,size=24).",
                               valueName: "base=CIDR,size=N"))
    var globalPools: [String] = []

    @Option(help: "HTTP worker threads.")
    var threads = 4

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
        for flag in localPools + globalPools where PoolBase(flag: flag) == nil {
            throw ValidationError("invalid address pool '\(flag)': expected base=CIDR,size=N with N no shorter than the base")
        }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be 1 to 64") }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "swiftnet")
        var http = HTTPServerConfiguration()
        http.threads = threads
        let options = PluginServer.Options(
            socketPath: socket, statePath: state,
            localPools: localPools.isEmpty ? nil : localPools.compactMap(PoolBase.init(flag:)),
            globalPools: globalPools.isEmpty ? nil : globalPools.compactMap(PoolBase.init(flag:)),
            http: http)

        let server: PluginServer
        do {
            server = try PluginServer(options: options, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }

        // Signals are handled on a dispatch queue, not in an async-signal context.
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .main)
            source.setEventHandler {
                logger.info("stopping", metadata: ["signal": "\(signalNumber)"])
                server.stop()
                Foundation.exit(0)
            }
            source.resume()
            SignalSources.keep(source)
        }
        dispatchMain()
    }
}

/// Keeps signal sources alive for the process lifetime.
enum SignalSources {
    nonisolated(unsafe) private static var sources: [any DispatchSourceSignal] = []
    static func keep(_ source: any DispatchSourceSignal) { sources.append(source) }
}
