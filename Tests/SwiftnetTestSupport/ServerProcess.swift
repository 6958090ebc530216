import Foundation
import SwiftnetClient
import SwiftnetPlugin
import XCTest

/// A real `swiftnet serve` process on a temporary socket and state file — the thing dockerd
/// talks to, started the way an operator would start it.
package final class ServerProcess {
    package let folder: String
    package let socketPath: String
    package let statePath: String
    package let logPath: String
    package private(set) var process: Process?
    package var extraArguments: [String] = []
    /// Added to the server's environment (e.g. SWIFTNET_CRASH_AT).
    package var environment: [String: String] = [:]
    /// Set: the server runs in this network namespace (`ip netns exec`, which execs it, so the
    /// process is the server's), and every link and rule it makes stays there and goes with it.
    package var namespace: String?
    /// A program that execs the server with its arguments, e.g. `["/usr/bin/prlimit", "--nofile=64:64", "--"]`
    /// (the pid stays the server's).
    package var launcher: [String] = []
    /// The chain prefix `serve` gets unless `extraArguments` name one: one server per prefix
    /// may run in a network namespace, and a swiftnet on the host (the default prefix) must
    /// not keep the tests' servers from starting.
    package let defaultChainPrefix = "SWP" + String(UInt32.random(in: 0...0xFF_FFFF), radix: 16).uppercased()

    /// The `swiftnet` binary built beside this test bundle, or `$SWIFTNET_BIN`.
    package static var binary: String {
        if let path = ProcessInfo.processInfo.environment["SWIFTNET_BIN"] { return path }
        let folder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [folder, folder.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("swiftnet").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/swiftnet").path
    }

    /// `socketPath` nil: a socket in the temporary folder. The end-to-end tests pass the real
    /// plugin path, `/run/docker/plugins/swiftnet.sock`, which dockerd discovers; state and log
    /// stay in the temporary folder either way.
    package init(socketPath: String? = nil) {
        // Short: a Unix socket path must fit in 108 bytes.
        folder = "/tmp/swn-test-\(UUID().uuidString.prefix(8))"
        self.socketPath = socketPath ?? folder + "/plugins/swiftnet.sock"
        statePath = folder + "/state/swiftnet.db"
        logPath = folder + "/server.log"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// Starts the server and waits (bounded) until the socket answers.
    package func start(file: StaticString = #filePath, line: UInt = #line) throws {
        let process = try launch()
        self.process = process
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let client = try? UnixHTTPClient(socketPath: socketPath, timeoutSeconds: 2),
               (try? client.post("/Plugin.Activate", body: []))?.status == 200 {
                client.close()
                return
            }
            guard process.isRunning else { break }
            usleep(10_000)
        }
        XCTFail("server did not come up; log:\n\(log)", file: file, line: line)
        throw CocoaError(.fileNoSuchFile)
    }

    /// Starts a process without waiting for it (for start-up failures).
    package func launch(arguments: [String]? = nil) throws -> Process {
        let process = Process()
        let prefix = extraArguments.contains("--chain-prefix") ? [] : ["--chain-prefix", defaultChainPrefix]
        let serverArguments = arguments ?? (["serve", "--socket", socketPath, "--state", statePath, "--log-level", "debug"] + prefix + extraArguments)
        // `ip netns exec` and a launcher both exec what follows: the pid stays the server's.
        let namespacePrefix = namespace.map { ["/usr/sbin/ip", "netns", "exec", $0] } ?? []
        let command = namespacePrefix + launcher + [ServerProcess.binary] + serverArguments
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        process.environment = ProcessInfo.processInfo.environment
            .merging(["SWIFTNET_EXIT_WITH_PARENT": "1"]) { _, new in new }
            .merging(environment) { _, new in new }
        if !FileManager.default.fileExists(atPath: logPath) { _ = FileManager.default.createFile(atPath: logPath, contents: nil) }
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        return process
    }

    /// kill -9: no handler runs, the socket file stays behind.
    package func kill9() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM and wait for a graceful exit; returns the exit status.
    @discardableResult
    package func terminate() -> Int32 {
        guard let process else { return 0 }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    /// Waits for the process to die by SIGKILL (a crash point); true if it did.
    package func waitForCrash(seconds: Double) -> Bool {
        guard let process else { return false }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { return false }
        self.process = nil
        return process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL
    }

    /// Waits (bounded) for the process to end by itself; its exit status, or nil if it still runs.
    package func waitForExit(seconds: Double) -> Int32? {
        guard let process else { return nil }
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { return nil }
        self.process = nil
        return process.terminationStatus
    }

    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    package func client() throws -> UnixHTTPClient { try UnixHTTPClient(socketPath: socketPath) }

    /// Stops the server gracefully (it deletes the veths it retired) and removes its files.
    package func cleanUp() {
        terminate()
        try? FileManager.default.removeItem(atPath: folder)
        // A server killed with -9 leaves its chain-prefix lock file (harmless, taken again by
        // the next server on the prefix); this prefix is never used again.
        let locks = "/run/swiftnet"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? [] where name.hasSuffix("-\(defaultChainPrefix).lock") {
            try? FileManager.default.removeItem(atPath: "\(locks)/\(name)")
        }
    }
}

extension UnixHTTPClient {
    /// POSTs `json` and decodes the answer as a JSON object.
    package func call(_ path: String, _ json: String = "") throws -> (status: Int, object: [String: Any]) {
        let response = try post(path, body: Array(json.utf8))
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        return (response.status, object ?? ["<raw>": response.text])
    }

    /// A RequestAddress that must succeed; returns the CIDR.
    package func requestAddress(pool: String, address: String = "", options: String = "null") throws -> String {
        let (status, object) = try call("/IpamDriver.RequestAddress",
                                        #"{"Address":"\#(address)","Options":\#(options),"PoolID":"\#(pool)"}"#)
        guard status == 200, let cidr = object["Address"] as? String else {
            throw HTTPClientError.malformedResponse("RequestAddress \(status) \(object)")
        }
        return cidr
    }

    package func requestPool(_ pool: String = "", subPool: String = "", v6: Bool = false, options: String = "null") throws -> (id: String, pool: String) {
        let (status, object) = try call("/IpamDriver.RequestPool",
            #"{"AddressSpace":"LocalDefault","Options":\#(options),"Pool":"\#(pool)","SubPool":"\#(subPool)","V6":\#(v6)}"#)
        guard status == 200, let id = object["PoolID"] as? String, let prefix = object["Pool"] as? String else {
            throw HTTPClientError.malformedResponse("RequestPool \(status) \(object)")
        }
        return (id, prefix)
    }

    package func releaseAddress(pool: String, address: String) throws {
        let (status, object) = try call("/IpamDriver.ReleaseAddress", #"{"Address":"\#(address)","PoolID":"\#(pool)"}"#)
        guard status == 200 else { throw HTTPClientError.malformedResponse("ReleaseAddress \(status) \(object)") }
    }
}
