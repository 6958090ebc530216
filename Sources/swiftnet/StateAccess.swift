import ArgumentParser
import Foundation
import Logging
import SwiftnetClient
import SwiftnetFirewall
import SwiftnetJSON
import SwiftnetLogging
import SwiftnetOperator
import SwiftnetPlugin
import SwiftnetServer
import SwiftnetStore

/// Where the operator commands get their answers: the running server on its socket, or —
/// when none answers — the state file opened directly (the server holds it exclusively while
/// it runs, so reading it beside a server is not possible; asking the server is the same data).
struct StateAccess: ParsableArguments {
    @Option(help: "Plugin socket of the running server.")
    var socket = "/run/docker/plugins/swiftnet.sock"

    @Option(help: "State file, read directly when no server answers on --socket.")
    var state = "/var/lib/swiftnet/swiftnet.db"

    @Option(help: ArgumentHelp("Chains to check when no server runs (default: the prefix the state's server last used).",
                               valueName: "prefix"))
    var chainPrefix: String?

    func validate() throws {
        if let chainPrefix {
            do {
                _ = try FirewallChains(prefix: chainPrefix)
            } catch {
                throw ValidationError("--chain-prefix: \(error)")
            }
        }
    }

    enum Source {
        case server(UnixHTTPClient)
        case local(Plugin)
    }

    /// The server if one answers on the socket, else the state file. Fails with a message
    /// that says which of the two to fix. A command that only reads (`forChange` false) reads
    /// a private copy of a state on read-only storage (`StateCopy`), and says so on stderr.
    func open(forChange: Bool) throws -> Source {
        if let client = try? UnixHTTPClient(socketPath: socket, timeoutSeconds: 60) {
            return .server(client)
        }
        guard FileManager.default.fileExists(atPath: state) else {
            throw OperatorCommandError("no swiftnet server answers on \(socket) and there is no state file at \(state); "
                                       + "pass --socket or --state")
        }
        var logger = Logger(label: "swiftnet", factory: { EscapingLogHandler(LogLineHandler(label: $0, style: .plain)) })
        logger.logLevel = .warning
        var path = state
        // Errors name the state, not its copy.
        func named(_ error: any Error) -> String { "\(error)".replacingOccurrences(of: path, with: state) }
        do {
            if StateCopy.isOnReadOnlyStorage(state) {
                guard !forChange else {
                    throw OperatorCommandError("\(state) is on read-only storage and this command changes it; "
                                               + "ls, inspect, pools, doctor and gc --dry-run read it from a private copy")
                }
                path = try StateCopy.make(of: state)
                FileHandle.standardError.write(Data("swiftnet: \(state) is on read-only storage; reading a private copy of it\n".utf8))
            }
            return .local(try Plugin(statePath: path, chainPrefix: chainPrefix, recordChainPrefix: false, logger: logger))
        } catch let error as OperatorCommandError {
            throw error
        } catch let error as StateLockError {
            guard case .held = error else { throw OperatorCommandError("cannot open \(state): \(named(error))") }
            // The lock is held but nothing answered on --socket: the server listens elsewhere.
            throw OperatorCommandError("cannot open \(state): \(error); no server answers on \(socket): if that server listens elsewhere, pass its --socket")
        } catch {
            throw OperatorCommandError("cannot open \(state): \(named(error))")
        }
    }

    /// GET `path` from the server and parse the JSON answer; a non-200 answer's `Err` is the error.
    static func get(_ client: UnixHTTPClient, _ path: String) throws -> JSONValue {
        try parse(try client.get(path), path)
    }

    static func post(_ client: UnixHTTPClient, _ path: String, _ body: String) throws -> JSONValue {
        try parse(try client.post(path, json: body), path)
    }

    private static func parse(_ response: HTTPClientResponse, _ path: String) throws -> JSONValue {
        let value = try? JSONParser.parse(response.body)
        guard response.status == 200, let value else {
            if case .object(let object)? = value, case .string(let message)? = object["Err"] {
                throw OperatorCommandError("the server answered \(response.status) to \(path): \(message)")
            }
            throw OperatorCommandError("the server answered \(response.status) to \(path): \(response.text)")
        }
        return value
    }

    func stateView() throws -> StateView {
        switch try open(forChange: false) {
        case .server(let client): return try StateView(json: try StateAccess.get(client, "/state"))
        case .local(let runtime):
            // The path asked for, where a private copy was read (`StateCopy`).
            var view = runtime.stateView(running: false)
            view.server.statePath = state
            return view
        }
    }
}

struct OperatorCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `--json` output: compact, one line, as the documented shape.
func printJSON(_ value: JSONValue) {
    print(value.serializedString)
}
