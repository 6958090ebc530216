import Foundation
import SwiftnetClient
import SwiftnetFirewall

/// A `swiftnet serve` started for a measurement; init returns once it answers.
final class BenchServer {
    let socket: String
    private let process: Process
    /// The chain prefix this server was given when the caller named none: a benchmark must
    /// never rewrite the chains of a swiftnet serving on the same host (`SWIFTNET-…`). Its
    /// chains are removed at `stop` when the server ran in the host's namespace.
    private let ownChains: String?
    private let removesChains: Bool

    init(binary: String, folder: String, statePath: String? = nil, socketPath: String? = nil,
         extraArguments: [String] = [], logLevel: String = "warning", launcher: [String] = []) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        socket = socketPath ?? folder + "/swiftnet.sock"
        process = Process()
        // A launcher (`nsenter --net=…`, `ip netns exec NS`) execs the server, so the pid stays the server's.
        process.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
        ownChains = extraArguments.contains("--chain-prefix") ? nil : "SWB" + String(UInt32.random(in: 0...UInt32.max), radix: 16).uppercased()
        removesChains = ownChains != nil && launcher.isEmpty
        let chainArguments = ownChains.map { ["--chain-prefix", $0] } ?? []
        process.arguments = launcher.dropFirst() + (launcher.isEmpty ? [] : [binary])
            + ["serve", "--socket", socket, "--state", statePath ?? folder + "/state.db", "--log-level", logLevel] + extraArguments + chainArguments
        // A file, as journald or a log pipe would take it: writing the log is part of the cost.
        _ = FileManager.default.createFile(atPath: folder + "/server.log", contents: nil)
        process.standardError = FileHandle(forWritingAtPath: folder + "/server.log")
        try process.run()
        let deadline = DispatchTime.now().uptimeNanoseconds + 60_000_000_000
        while DispatchTime.now().uptimeNanoseconds < deadline {
            if let client = try? UnixHTTPClient(socketPath: socket, timeoutSeconds: 1),
               (try? client.post("/Plugin.Activate", body: []))?.status == 200 {
                client.close()
                return
            }
            guard process.isRunning else { break }
            usleep(200)
        }
        process.terminate()
        throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "server \(binary) did not start"])
    }

    /// The server a benchmark starts: `given` (its --server), else the swiftnet beside the benchmark.
    static func binary(_ given: String?) -> String {
        given ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("swiftnet").path
    }

    var pid: Int32 { process.processIdentifier }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        if removesChains, let ownChains { try? Firewall(prefix: ownChains).remove() }
    }
}
