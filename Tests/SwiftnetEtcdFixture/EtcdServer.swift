import Foundation
import Glibc
import SwiftnetEtcd

/// A real etcd (Debian's etcd-server) for one test: loopback only, free ports, a temporary data
/// directory. Stopped by its pid in `stop()`, which tests call from tearDown; it also dies with
/// the test process (setpriv --pdeathsig), so a crashed run leaves no etcd behind.
package final class EtcdServer: @unchecked Sendable {
    package let clientPort: UInt16
    package let peerPort: UInt16
    package let dataDirectory: String
    /// The address etcd listens on for clients (loopback unless a test gives one its
    /// namespaces reach).
    package let host: String
    package private(set) var process: Process?
    private let logPath: String

    package var endpoint: EtcdEndpoint { EtcdEndpoint(host: host, port: clientPort) }
    package var url: String { endpoint.description }
    package var pid: Int32? { process?.processIdentifier }

    package static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/etcd") }

    /// Starts etcd and waits until it answers (at most 20 s).
    package init(host: String = "127.0.0.1") throws {
        self.host = host
        clientPort = try Self.freePort()
        var peer = try Self.freePort()
        while peer == clientPort { peer = try Self.freePort() }
        peerPort = peer
        dataDirectory = NSTemporaryDirectory() + "swiftnet-etcd-\(UUID().uuidString.prefix(8))"
        logPath = dataDirectory + ".log"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try start()
    }

    deinit { stop(); try? FileManager.default.removeItem(atPath: dataDirectory); try? FileManager.default.removeItem(atPath: logPath) }

    /// Starts it again on the same ports and data (after `stop()`).
    package func start() throws {
        guard process == nil else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        let client = "http://\(host):\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        process.arguments = [
            "--pdeathsig", "KILL", "--", "/usr/bin/etcd",
            "--name", "swiftnet-test", "--data-dir", dataDirectory,
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "swiftnet-test=\(peer)",
            "--log-level", "error", "--logger", "zap",
        ]
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        log?.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        try waitUntilReady()
    }

    /// Kills it (SIGKILL: as a crash would) and waits for it to be gone.
    package func stop() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Freezes it (SIGSTOP): connections still open at the kernel, nothing answers. Returns
    /// once the stop has reached every thread of etcd (at most 5 s): `kill` returns when the
    /// signal is queued, and on a busy host another thread answered a request before the stop
    /// reached it (a CI run saw a "frozen" etcd commit a claim). The kernel reports a child as
    /// stopped (`waitid` with WSTOPPED) only once all its threads are.
    package func freeze() {
        guard let pid else { return }
        kill(pid, SIGSTOP)
        let deadline = Date().addingTimeInterval(5)
        while !Self.reportsStopped(pid), Date() < deadline { usleep(1_000) }
    }

    package func thaw() { if let pid { kill(pid, SIGCONT) } }

    /// Whether the kernel has a stop of child `pid` to report; takes that report. WSTOPPED
    /// alone: an exit stays for `Process` to reap.
    private static func reportsStopped(_ pid: Int32) -> Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WSTOPPED | WNOHANG) == 0
            && info.si_signo == SIGCHLD && info.si_code == Int32(CLD_STOPPED)
    }

    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    private func waitUntilReady() throws {
        let client = EtcdClient(endpoints: [endpoint], timeoutSeconds: 1)
        let start = Date()
        var last = ""
        while Date().timeIntervalSince(start) < 20 {
            do {
                _ = try client.range("/swiftnet-test-ready")
                return
            } catch {
                last = "\(error)"
            }
            guard process?.isRunning == true else { throw FixtureError("etcd exited: \(log)") }
            usleep(100_000)
        }
        stop()
        throw FixtureError("etcd did not answer within 20 s: \(last)\n\(log)")
    }

    /// A TCP port on loopback nobody listens on now.
    package static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw FixtureError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw FixtureError("bind: \(errno)") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

package struct FixtureError: Error, CustomStringConvertible {
    package let description: String
    package init(_ description: String) { self.description = description }
}
