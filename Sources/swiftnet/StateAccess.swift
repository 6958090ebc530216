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

    @Option(name: .customLong("state"),
            help: ArgumentHelp("State file, read directly when no server answers on --socket (default: \(StateAccess.defaultState)). "
                               + "Given while a server answers, it must be the one that server serves.", valueName: "state"))
    var givenState: String?

    static let defaultState = "/var/lib/swiftnet/swiftnet.db"
    var state: String { givenState ?? StateAccess.defaultState }

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
            if let givenState { try StateAccess.refuseAnotherState(of: client, socket: socket, asked: givenState) }
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
            let runtime = try Plugin(statePath: path, chainPrefix: chainPrefix, recordChainPrefix: false, logger: logger)
            if forChange, let chainPrefix, let recorded = runtime.recordedChainPrefix, recorded != chainPrefix {
                // The server would never learn of them: they would publish ports for ever.
                throw OperatorCommandError("the server of \(state) last ran with --chain-prefix \(recorded); --chain-prefix \(chainPrefix) "
                                           + "would install a second set of iptables chains (\(chainPrefix)-*) that nothing removes: "
                                           + "leave --chain-prefix out (start the server with another prefix to change it)")
            }
            return .local(runtime)
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

    /// A server answered, but `asked` (an explicit `--state`) is not the state it serves: the
    /// command would read or change another state than the one named.
    static func refuseAnotherState(of client: UnixHTTPClient, socket: String, asked: String) throws {
        let served = try StateView(json: try get(client, "/state")).server.statePath
        // A path relative to the server's folder, or inside a managed plugin's root, cannot be
        // told from here: not refused.
        guard served.hasPrefix("/") else { return }
        func resolved(_ path: String) -> String {
            guard let real = realpath(path, nil) else { return (path as NSString).standardizingPath }
            defer { free(real) }
            return String(cString: real)
        }
        guard resolved(served) != resolved(asked) else { return }
        throw OperatorCommandError("the server answering on \(socket) serves \(served), not \(asked): "
                                   + "pass the --socket of the server of \(asked), or stop that server to work on the file")
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
