import Foundation
import Logging
import SwiftnetPlugin
import Synchronization
import SwiftnetClient
import SwiftnetHTTP
import XCTest

/// Answers by path so each test can pick the behaviour it needs.
private struct TestHandler: HTTPHandler {
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch request.path {
        case "/Plugin.Activate":
            return .json(200, Array(#"{"Implements":["NetworkDriver","IpamDriver"]}"#.utf8))
        case "/echo":
            return HTTPResponse(status: 200, body: request.body, contentType: "application/octet-stream")
        case "/describe":
            let text = #"{"Method":"\#(request.method)","Path":"\#(request.path)","Length":\#(request.body.count)}"#
            return .json(200, Array(text.utf8))
        case "/garbage":
            return HTTPResponse(status: -7, body: [0xFF, 0x00, 0x0D, 0x0A], contentType: "bad\r\nInjected: yes")
        default:
            return .json(404, Array(#"{"Err":"unknown path"}"#.utf8))
        }
    }
}

final class HTTPTransportTests: HTTPServerTestCase {
    @discardableResult
    private func startServer(
        _ configuration: HTTPServerConfiguration = HTTPServerConfiguration()
    ) throws -> HTTPServer {
        try startServer(configuration, handler: TestHandler(), logLevel: .warning)
    }

    private func client(timeout: Double = 10) throws -> UnixHTTPClient {
        try UnixHTTPClient(socketPath: socketPath, timeoutSeconds: timeout)
    }

    // MARK: - Requests

    func testEmptyBodyPost() throws {
        try startServer()
        let response = try client().post("/Plugin.Activate", body: [])
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, #"{"Implements":["NetworkDriver","IpamDriver"]}"#)
        XCTAssertEqual(response.headers["content-type"], "application/json")
    }

    func testJSONBodyRoundTrip() throws {
        try startServer()
        let json = #"{"NetworkID":"n1","Options":{"a":"b"}}"# + "\n"
        let c = try client()
        let response = try c.post("/echo", json: json)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, json)
        XCTAssertEqual(response.headers["content-length"], String(json.utf8.count))

        let described = try c.post("/describe", json: json)
        XCTAssertEqual(described.text, #"{"Method":"POST","Path":"/describe","Length":\#(json.utf8.count)}"#)
    }

    func testUnknownPathIs404() throws {
        try startServer()
        let response = try client().post("/NetworkDriver.Nope", body: [])
        XCTAssertEqual(response.status, 404)
        XCTAssertEqual(response.text, #"{"Err":"unknown path"}"#)
    }

    func testKeepAliveReusesOneConnection() throws {
        try startServer()
        let c = try client()
        for i in 0..<500 {
            let body = Array("request \(i)".utf8)
            let response = try c.post("/echo", body: body)
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.body, body)
        }
        XCTAssertEqual(c.connectionsOpened, 1)
    }

    func testSixteenConcurrentClients() throws {
        try startServer()
        let threads = 16
        let requestsPerThread = 500
        let failures = Mutex<[String]>([])
        let answered = Mutex(0)
        let path = socketPath
        let finished = runOnThreads(threads, timeoutSeconds: 120) { thread in
            do {
                let c = try UnixHTTPClient(socketPath: path, timeoutSeconds: 10)
                for i in 0..<requestsPerThread {
                    let body = Array(#"{"Thread":\#(thread),"Request":\#(i)}"#.utf8)
                    let response = try c.post("/echo", body: body)
                    guard response.status == 200, response.body == body else {
                        failures.withLock { $0.append("thread \(thread) request \(i): \(response.status) \(response.text)") }
                        return
                    }
                    answered.withLock { $0 += 1 }
                }
            } catch {
                failures.withLock { $0.append("thread \(thread): \(error)") }
            }
        }
        XCTAssertTrue(finished, "client threads did not finish in time")
        XCTAssertEqual(failures.withLock { $0 }, [])
        XCTAssertEqual(answered.withLock { $0 }, threads * requestsPerThread)
    }

    func testChunkedRequestBody() throws {
        try startServer()
        let c = try client()
        let request = "POST /echo HTTP/1.1\r\nHost: plugin.moby.localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        try c.sendRaw(Array(request.utf8))
        let response = try c.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, "hello world")
        // The connection stays usable after a chunked request.
        XCTAssertEqual(try c.post("/echo", json: "{}").text, "{}")
        XCTAssertEqual(c.connectionsOpened, 1)
    }

    func testBodyAtTheLimitIsAccepted() throws {
        try startServer()
        let body = [UInt8](repeating: 0x61, count: HTTPServerConfiguration.defaultMaxBodyBytes)
        let response = try client().post("/echo", body: body)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body.count, body.count)
    }

    func testOversizedBodyGets413AndServerKeepsServing() throws {
        try startServer()
        let bystander = try client()
        XCTAssertEqual(try bystander.post("/echo", json: "{}").status, 200)

        let big = try client()
        let limit = HTTPServerConfiguration.defaultMaxBodyBytes
        let response = try big.post("/echo", body: [UInt8](repeating: 0x61, count: limit + 1))
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(response.text, #"{"Err":"request body larger than \#(limit) bytes"}"#)
        XCTAssertEqual(response.headers["connection"]?.lowercased(), "close")

        XCTAssertEqual(try bystander.post("/echo", json: "{}").status, 200)
        // The client reconnects by itself after the close.
        XCTAssertEqual(try big.post("/echo", json: "{}").status, 200)
    }

    func testOversizedChunkedBodyGets413() throws {
        try startServer(HTTPServerConfiguration(maxBodyBytes: 1000))
        let c = try client()
        var request = "POST /echo HTTP/1.1\r\nHost: plugin.moby.localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        for _ in 0..<3 {
            request += "1F4\r\n" + String(repeating: "x", count: 500) + "\r\n"
        }
        request += "0\r\n\r\n"
        try c.sendRaw(Array(request.utf8))
        let response = try c.readResponse()
        XCTAssertEqual(response.status, 413)
        XCTAssertEqual(response.text, #"{"Err":"request body larger than 1000 bytes"}"#)
        XCTAssertEqual(try client().post("/echo", json: "{}").status, 200)
    }

    func testGarbageResponseIsStillSent() throws {
        try startServer()
        let c = try client()
        let response = try c.post("/garbage", body: [])
        XCTAssertEqual(response.status, 500)
        XCTAssertEqual(response.body, [0xFF, 0x00, 0x0D, 0x0A])
        XCTAssertNil(response.headers["injected"])
        XCTAssertEqual(try c.post("/echo", json: "{}").status, 200)
    }

    func testMalformedRequestGetsErrorAndServerSurvives() throws {
        try startServer()
        let c = try client()
        try c.sendRaw(Array("THIS IS NOT HTTP\r\n\r\n".utf8))
        let response = try c.readResponse()
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(try client().post("/Plugin.Activate", body: []).status, 200)
    }

    func testClientReconnectsAfterServerClosedIdleConnection() throws {
        try startServer(HTTPServerConfiguration(idleTimeoutSeconds: 1))
        let c = try client()
        XCTAssertEqual(try c.post("/echo", json: "{}").status, 200)
        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertEqual(try c.post("/echo", json: "{\"again\":1}").text, "{\"again\":1}")
        XCTAssertEqual(c.connectionsOpened, 2)
    }

    func testStalledBodyIsCutOffAtTheDeadline() throws {
        try startServer(HTTPServerConfiguration(idleTimeoutSeconds: 30, requestDeadlineSeconds: 1))
        let c = try client(timeout: 10)
        let started = Date()
        try c.sendRaw(Array("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789".utf8))
        XCTAssertThrowsError(try c.readResponse()) { error in
            guard case HTTPClientError.connectionClosed = error else {
                return XCTFail("expected the server to close the connection, got \(error)")
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertLessThan(elapsed, 5, "the deadline, not the 30 s idle timeout, should end the request")
    }

    // MARK: - Listening socket

    func testStaleSocketFileIsReplaced() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try makeStaleSocket(at: socketPath)
        XCTAssertTrue(isSocket(socketPath))
        try startServer()
        XCTAssertEqual(try client().post("/Plugin.Activate", body: []).status, 200)
    }

    func testLiveSocketMakesBindThrow() throws {
        try startServer()
        XCTAssertThrowsError(try UnixListeningSocket.bind(path: socketPath)) { error in
            XCTAssertEqual(error as? UnixSocketError, .alreadyListening(path: socketPath))
            XCTAssertTrue("\(error)".contains("another process is already listening"))
        }
        // The live server was not disturbed.
        XCTAssertEqual(try client().post("/Plugin.Activate", body: []).status, 200)
    }

    func testRegularFileMakesBindThrowAndSurvives() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: socketPath, contents: Data("keep me".utf8)))
        XCTAssertThrowsError(try UnixListeningSocket.bind(path: socketPath)) { error in
            XCTAssertEqual(error as? UnixSocketError, .notASocket(path: socketPath))
        }
        UnixListeningSocket.remove(path: socketPath)
        XCTAssertEqual(FileManager.default.contents(atPath: socketPath), Data("keep me".utf8))
    }

    func testTooLongPathIsRefused() {
        let path = "/tmp/" + String(repeating: "a", count: 103)  // 108 bytes
        XCTAssertThrowsError(try UnixListeningSocket.bind(path: path)) { error in
            XCTAssertEqual(error as? UnixSocketError, .pathTooLong(path: path, bytes: 108, maximum: 107))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }

    func testParentFoldersAndModeAreSet() throws {
        socketPath = directory + "/a/b/p.sock"
        let fd = try UnixListeningSocket.bind(path: socketPath, mode: 0o600)
        defer { close(fd) }
        var info = stat()
        XCTAssertEqual(stat(directory + "/a/b", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o755)
        XCTAssertEqual(stat(socketPath, &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFSOCK)
    }

    func testStopClosesTheSocket() throws {
        let server = try startServer()
        XCTAssertEqual(try client().post("/Plugin.Activate", body: []).status, 200)
        server.stop()
        server.stop()
        XCTAssertThrowsError(try client()) { error in
            XCTAssertEqual(error as? HTTPClientError, .connectFailed(path: socketPath, errno: ECONNREFUSED))
        }
        // A stopped server's leftover file counts as stale.
        try startServer()
        XCTAssertEqual(try client().post("/Plugin.Activate", body: []).status, 200)
    }

    func testInvalidConfigurationThrows() throws {
        let fd = try UnixListeningSocket.bind(path: socketPath)
        XCTAssertThrowsError(
            try HTTPServer(
                listeningSocket: fd, configuration: HTTPServerConfiguration(threads: 0),
                handler: TestHandler(), logger: Logger(label: "test"))
        ) { error in
            XCTAssertEqual(error as? HTTPServerError,
                           .invalidConfiguration("threads is 0, must be within 1...1024"))
        }
        // The fd was taken over and closed, so nobody listens any more.
        XCTAssertThrowsError(try client())
    }

    /// One worker per core, never fewer than 2 (a slow call holds up only its own worker's
    /// connections) nor more than 16.
    func testDefaultThreadsFollowTheCoresWithinBounds() {
        let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        XCTAssertEqual(HTTPServerConfiguration.defaultThreads, min(16, max(2, cores)))
        XCTAssertEqual(HTTPServerConfiguration().threads, HTTPServerConfiguration.defaultThreads)
    }

    func testStartFailureReportsReasonAndClosesDescriptor() throws {
        // Not a listening socket: the accept loop refuses it before anything is served.
        let fd = open("/dev/null", O_RDWR | O_CLOEXEC)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var logger = Logger(label: "swiftnet.http.test")
        logger.logLevel = .critical
        XCTAssertThrowsError(
            try HTTPServer(listeningSocket: fd, configuration: HTTPServerConfiguration(threads: 2),
                           handler: TestHandler(), logger: logger)
        ) { error in
            XCTAssertEqual(error as? HTTPServerError, .startFailed("the descriptor is not a listening socket"))
        }
        XCTAssertEqual(fcntl(fd, F_GETFD), -1, "the descriptor should have been closed")
    }

    // MARK: - Helpers

    /// Runs `body(index)` on `count` dedicated threads (not the cooperative pool, whose width
    /// would cap the concurrency). Returns false if they did not all finish in time.
    private func runOnThreads(
        _ count: Int, timeoutSeconds: Double, _ body: @escaping @Sendable (Int) -> Void
    ) -> Bool {
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread.detachNewThread {
                body(index)
                group.leave()
            }
        }
        return group.wait(timeout: .now() + timeoutSeconds) == .success
    }

    /// Leaves a socket file behind the way a killed process does: bound, then closed.
    private func makeStaleSocket(at path: String) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        XCTAssertEqual(result, 0)
        XCTAssertEqual(listen(fd, 1), 0)
        close(fd)
    }

    private func isSocket(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
    }
}
