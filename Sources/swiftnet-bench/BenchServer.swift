import Foundation
import SwiftnetClient

/// A `swiftnet serve` started for a measurement; init returns once it answers.
final class BenchServer {
    let socket: String
    private let process: Process

    init(binary: String, folder: String, statePath: String? = nil, socketPath: String? = nil,
         extraArguments: [String] = [], logLevel: String = "warning", launcher: [String] = []) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        socket = socketPath ?? folder + "/swiftnet.sock"
        process = Process()
        // A launcher (`ip netns exec NS`) execs the server, so the pid stays the server's.
        process.executableURL = URL(fileURLWithPath: launcher.first ?? binary)
        process.arguments = launcher.dropFirst() + (launcher.isEmpty ? [] : [binary]) + ["serve", "--socket", socket, "--state", statePath ?? folder + "/state.db", "--log-level", logLevel] + extraArguments
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

    var pid: Int32 { process.processIdentifier }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
