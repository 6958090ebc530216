import Foundation
import SwiftnetClient

/// A `swiftnet serve` started for a measurement; init returns once it answers.
final class BenchServer {
    let socket: String
    private let process: Process

    init(binary: String, folder: String, statePath: String? = nil, socketPath: String? = nil,
         extraArguments: [String] = []) throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        socket = socketPath ?? folder + "/swiftnet.sock"
        process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--socket", socket, "--state", statePath ?? folder + "/state.db", "--log-level", "warning"] + extraArguments
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<10_000 {
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

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
