import Foundation
import SwiftnetClient
import SwiftnetPlugin
import SwiftnetTestSupport
import XCTest

/// systemd socket activation, with the test as the launcher: it binds and listens on the
/// plugin socket itself and passes it as fd 3 with LISTEN_FDS=1 and LISTEN_PID, as systemd
/// does for swiftnet.socket.
final class SocketActivationTests: XCTestCase {
    var folder = ""
    var listener: Int32 = -1
    var children: [pid_t] = []
    /// Random per test: servers here end with SIGKILL, which leaves the prefix's lock file.
    let chainPrefix = "SWA" + String(UInt32.random(in: 0...0xFF_FFFF), radix: 16).uppercased()

    override func setUpWithError() throws {
        folder = "/tmp/swn-act-\(Shell.randomHex(6))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        listener = try Self.listen(at: folder + "/swiftnet.sock")
    }

    override func tearDownWithError() throws {
        for pid in children { kill(pid, SIGKILL); var status: Int32 = 0; waitpid(pid, &status, 0) }
        if listener >= 0 { close(listener) }
        try? FileManager.default.removeItem(atPath: folder)
        let locks = "/run/swiftnet"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: locks)) ?? [] where name.hasSuffix("-\(chainPrefix).lock") {
            try? FileManager.default.removeItem(atPath: "\(locks)/\(name)")
        }
    }

    func testServesTheSocketSystemdPasses() throws {
        let server = try launch()
        let client = try UnixHTTPClient(socketPath: folder + "/swiftnet.sock")
        defer { client.close() }
        XCTAssertEqual(try client.post("/Plugin.Activate", body: []).text, #"{"Implements":["NetworkDriver","IpamDriver"]}"#)
        XCTAssertEqual(try client.requestPool("10.235.1.0/24").pool, "10.235.1.0/24")
        XCTAssertTrue(log.contains("fd 3 from systemd"), log)
        // A graceful stop leaves systemd's socket file in place.
        kill(server, SIGTERM)
        var status: Int32 = 0
        waitpid(server, &status, 0)
        children.removeAll { $0 == server }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/swiftnet.sock"))
    }

    /// What socket activation is for: dockerd connects and sends while swiftnet is down; the
    /// request waits in the listen backlog and is answered once swiftnet has started.
    func testARequestSentWhileTheServerIsDownIsAnsweredWhenItStarts() throws {
        let client = try UnixHTTPClient(socketPath: folder + "/swiftnet.sock")
        defer { client.close() }
        try client.sendRaw(Array("POST /Plugin.Activate HTTP/1.1\r\nHost: plugin.moby.localhost\r\nContent-Length: 0\r\n\r\n".utf8))
        _ = try launch(wait: false)
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, #"{"Implements":["NetworkDriver","IpamDriver"]}"#)
    }

    func testVariablesForAnotherProcessAreIgnored() throws {
        // LISTEN_PID of some other process: swiftnet binds its own socket at --socket.
        _ = try launch(listenPID: "1", socket: folder + "/own.sock")
        let client = try UnixHTTPClient(socketPath: folder + "/own.sock")
        defer { client.close() }
        XCTAssertEqual(try client.post("/Plugin.Activate", body: []).status, 200)
    }

    // MARK: the launcher

    var log: String { (try? String(contentsOfFile: folder + "/server.log", encoding: .utf8)) ?? "" }

    /// posix_spawn with the listener on fd 3; `sh -c 'LISTEN_PID=$$ … exec swiftnet …'` makes
    /// LISTEN_PID the server's own pid, as systemd sets it between fork and exec.
    func launch(wait: Bool = true, listenPID: String = "$$", socket: String? = nil) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, listener, 3)
        posix_spawn_file_actions_addopen(&actions, 1, folder + "/server.log", O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let script = "LISTEN_PID=\(listenPID) LISTEN_FDS=1 exec \"$0\" serve --state \"$1\" --socket \"$2\" --chain-prefix \(chainPrefix) --log-level debug"
        let arguments = ["/bin/sh", "-c", script, ServerProcess.binary, folder + "/state.db", socket ?? folder + "/swiftnet.sock"]
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0 else {
            throw CocoaError(.executableLoad)
        }
        children.append(pid)
        if wait {
            let deadline = Date().addingTimeInterval(15)
            while Date() < deadline && !log.contains("serving") { usleep(10_000) }
            XCTAssertTrue(log.contains("serving"), log)
        }
        return pid
    }

    static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        return fd
    }
}
