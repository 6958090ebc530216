import ArgumentParser
import Foundation
import SwiftnetClient

/// A throw-away network namespace for a benchmark's server: deleting it takes the bridges,
/// veths and rules the server made there with it.
struct BenchNamespace {
    let name = "swnbench-\(LifecycleBench.hex(8))"

    init() throws {
        guard DockerRunBench.exec("/usr/sbin/ip", ["netns", "add", name]).status == 0 else {
            throw ValidationError("cannot make network namespace \(name)")
        }
    }

    /// Execs what follows in the namespace (the pid stays the program's).
    var launcher: [String] { ["/usr/sbin/ip", "netns", "exec", name] }

    func delete() {
        _ = DockerRunBench.exec("/usr/sbin/ip", ["netns", "delete", name])
    }

    /// `body` with a client of `binary` serving in a namespace of its own (its folder
    /// /tmp/swn-bench-`name`-PID), and that namespace; the server, the namespace with all it
    /// holds, and the folder are gone when it returns or throws.
    static func serving<T>(binary: String, name: String, _ body: (BenchClient, BenchNamespace) throws -> T) throws -> T {
        let folder = "/tmp/swn-bench-\(name)-\(getpid())"
        let namespace = try BenchNamespace()
        defer {
            namespace.delete()
            try? FileManager.default.removeItem(atPath: folder)
        }
        let running = try BenchServer(binary: binary, folder: folder, launcher: namespace.launcher)
        defer { running.stop() }
        let client = try UnixHTTPClient(socketPath: running.socket, timeoutSeconds: 120)
        defer { client.close() }
        return try body(BenchClient(client: client), namespace)
    }
}
