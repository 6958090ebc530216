import Foundation
import Logging
import Synchronization
import SwiftnetClient
import SwiftnetHTTP
import XCTest

/// `/ping` answers at once, `/slow` after 1.5 s (a request that sits in the handler), `/hold`
/// once the test sets `releaseHeld` (at most 150 s); the number of `/slow` and `/hold` requests
/// that reached the handler is counted, so that tests wait for that instead of sleeping a guess
/// (CI runs on 2 busy cores).
private struct PolicyTestHandler: HTTPHandler {
    static let slowEntered = Atomic(0)
    static let holdEntered = Atomic(0)
    static let releaseHeld = Atomic(false)

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        if request.path == "/slow" {
            PolicyTestHandler.slowEntered.add(1, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 1.5)
        } else if request.path == "/hold" {
            PolicyTestHandler.holdEntered.add(1, ordering: .relaxed)
            let deadline = Date().addingTimeInterval(150)
            while !PolicyTestHandler.releaseHeld.load(ordering: .relaxed) && Date() < deadline { usleep(10_000) }
        }
        return .json(200, Array(#"{"Path":"\#(request.path)"}"#.utf8))
    }

    /// Waits (at most 5 s) until `count` more `/slow` requests than `before` are in the handler.
    static func waitForSlow(_ count: Int, since before: Int) {
        let deadline = Date().addingTimeInterval(5)
        while slowEntered.load(ordering: .relaxed) < before + count && Date() < deadline { usleep(5_000) }
    }
}

/// Clients that hold connections, trickle bytes or send what libmicrohttpd would refuse: dockerd
/// must still get through, and every refusal is JSON.
final class HTTPConnectionPolicyTests: HTTPServerTestCase {
    private func startServer(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration()) throws {
        try startServer(configuration, handler: PolicyTestHandler(), logLevel: .critical)
    }

    /// Seconds until a new client's request is answered (10 s timeout: fails the test).
    private func timeToAnswerNewClient(file: StaticString = #filePath, line: UInt = #line) -> Double {
        let started = Date()
        do {
            let response = try UnixHTTPClient(socketPath: socketPath, timeoutSeconds: 10).post("/ping", body: [])
            XCTAssertEqual(response.status, 200, file: file, line: line)
        } catch {
            XCTFail("the new client was not answered: \(error)", file: file, line: line)
        }
        return Date().timeIntervalSince(started)
    }

    private func openSilentConnections(_ count: Int) -> [RawUnixConnection] {
        (0..<count).compactMap { _ in try? RawUnixConnection(path: socketPath) }
    }

    private func assertJSONError(
        _ connection: RawUnixConnection, status: Int, contains text: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertTrue(connection.readUntilClosed(seconds: 5), "server kept the connection open", file: file, line: line)
        guard let response = connection.response else {
            return XCTFail("no response: \(String(decoding: connection.received, as: UTF8.self))", file: file, line: line)
        }
        XCTAssertEqual(response.status, status, response.body, file: file, line: line)
        XCTAssertEqual(response.headers["content-type"], "application/json", file: file, line: line)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any]
        let message = object?["Err"] as? String ?? ""
        XCTAssertTrue(message.contains(text), "Err should mention '\(text)': \(response.body)", file: file, line: line)
    }

    // MARK: - Room for new clients

    func testNewClientIsAnsweredWhile300SilentConnectionsAreOpen() throws {
        try startServer()
        let held = openSilentConnections(300)
        let seconds = timeToAnswerNewClient()
        print("new client answered in \(seconds) s with \(held.count) silent connections open")
        XCTAssertLessThan(seconds, 2)
    }

    func testNewClientIsAnsweredWhile300IdleKeepAliveConnectionsAreOpen() throws {
        try startServer()
        var held: [UnixHTTPClient] = []
        for _ in 0..<300 {
            guard let client = try? UnixHTTPClient(socketPath: socketPath, timeoutSeconds: 1),
                  (try? client.post("/ping", body: []))?.status == 200 else { continue }
            held.append(client)
        }
        XCTAssertEqual(held.count, 300, "every client is answered, the ones beyond the limit too")
        let seconds = timeToAnswerNewClient()
        print("new client answered in \(seconds) s with \(held.count) idle keep-alive connections open")
        XCTAssertLessThan(seconds, 2)
    }

    func testNewClientIsAnsweredWhile300ConnectionsTrickleHeaders() throws {
        try startServer()
        let held = openSilentConnections(300)
        for connection in held { connection.send("POST /ping HTTP/1.1\r\nX-Trickle: ") }
        let stop = Atomic(false)
        let descriptors = held.map(\.fd)
        let trickler = Thread {
            // One byte per connection per second, as long as the test runs.
            var byte: UInt8 = 0x61
            while !stop.load(ordering: .relaxed) {
                for fd in descriptors { _ = send(fd, &byte, 1, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                Thread.sleep(forTimeInterval: 1)
            }
        }
        trickler.start()
        defer { stop.store(true, ordering: .relaxed) }
        Thread.sleep(forTimeInterval: 1.5)
        let seconds = timeToAnswerNewClient()
        print("new client answered in \(seconds) s with \(held.count) connections trickling headers")
        XCTAssertLessThan(seconds, 2)
    }

    func testRequestInTheHandlerIsNeverEvicted() throws {
        try startServer(HTTPServerConfiguration(threads: 2, connectionLimit: 4, hardConnectionLimit: 64))
        let path = socketPath
        let slowStatus = Mutex<Int?>(nil)
        let entered = PolicyTestHandler.slowEntered.load(ordering: .relaxed)
        let slow = Thread {
            let status = (try? UnixHTTPClient(socketPath: path, timeoutSeconds: 10).post("/slow", body: []))?.status
            slowStatus.withLock { $0 = status ?? -1 }
        }
        slow.start()
        PolicyTestHandler.waitForSlow(1, since: entered)
        // Ten times the soft limit: each one beyond it closes the oldest connection not in a handler.
        let held = openSilentConnections(40)
        XCTAssertEqual(held.count, 40)
        XCTAssertLessThan(timeToAnswerNewClient(), 2)
        let deadline = Date().addingTimeInterval(5)
        while slowStatus.withLock({ $0 }) == nil && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(slowStatus.withLock { $0 }, 200, "the request in the handler must be answered")
        // The oldest silent connections made room and were closed.
        XCTAssertTrue(held[0].readUntilClosed(seconds: 1))
    }

    func testIdleKeepAliveConnectionOutlastsAFloodOfSilentConnections() throws {
        try startServer(HTTPServerConfiguration(connectionLimit: 8, hardConnectionLimit: 64))
        let dockerd = try UnixHTTPClient(socketPath: socketPath)
        XCTAssertEqual(try dockerd.post("/ping", body: []).status, 200)
        // Older than every silent connection, but those never sent a request: they go first.
        let held = openSilentConnections(40)
        XCTAssertEqual(held.count, 40)
        XCTAssertEqual(try dockerd.post("/ping", body: []).status, 200)
        XCTAssertEqual(dockerd.connectionsOpened, 1, "the kept-alive connection must not be closed to make room")
    }

    func testServerBusyIsJSON503WhenEveryConnectionIsBeingServed() throws {
        try startServer(HTTPServerConfiguration(threads: 1, connectionLimit: 1, hardConnectionLimit: 2))
        let path = socketPath
        let statuses = Mutex<[Int]>([])
        let group = DispatchGroup()
        let entered = PolicyTestHandler.slowEntered.load(ordering: .relaxed)
        for round in 0..<2 {
            group.enter()
            Thread.detachNewThread {
                let status = (try? UnixHTTPClient(socketPath: path, timeoutSeconds: 10).post("/slow", body: []))?.status
                statuses.withLock { $0.append(status ?? -1) }
                group.leave()
            }
            // The first must be in the handler before the second arrives, or the second's
            // admission would evict it; the second then waits for the single worker.
            if round == 0 { PolicyTestHandler.waitForSlow(1, since: entered) } else { Thread.sleep(forTimeInterval: 0.6) }
        }
        // One request is in the handler, the other waits for the single worker: nothing can go.
        let third = try RawUnixConnection(path: socketPath)
        assertJSONError(third, status: 503, contains: "busy")
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(statuses.withLock { $0 }, [200, 200])
    }

    /// A connection passed to a worker that is busy in one handler waits for that worker,
    /// however long it takes, and counts against the hard limit all the while: past the limit a
    /// new client gets 503, not a place in a queue longer than libmicrohttpd 0.9.75 can take.
    /// The registry once stopped counting such a connection after 60 s, hence the wait.
    func testConnectionsWaitingForABusyWorkerCountAgainstTheHardLimitPastAMinute() throws {
        // Soft limit = hard limit: a client is never let in by closing one that has not sent
        // its head yet, only refused.
        try startServer(HTTPServerConfiguration(threads: 1, connectionLimit: 3, hardConnectionLimit: 3))
        PolicyTestHandler.releaseHeld.store(false, ordering: .relaxed)
        // A failed assertion must not leave the worker held: stop() waits for it.
        defer { PolicyTestHandler.releaseHeld.store(true, ordering: .relaxed) }
        let entered = PolicyTestHandler.holdEntered.load(ordering: .relaxed)
        let holder = try RawUnixConnection(path: socketPath)
        holder.send("POST /hold HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let deadline = Date().addingTimeInterval(5)
        while PolicyTestHandler.holdEntered.load(ordering: .relaxed) == entered && Date() < deadline { usleep(5_000) }
        XCTAssertEqual(PolicyTestHandler.holdEntered.load(ordering: .relaxed), entered + 1, "/hold never reached the handler")
        // Two complete requests: the gate passes both to the one worker, which is held.
        let waiting = try (0..<2).map { _ in
            let connection = try RawUnixConnection(path: socketPath)
            connection.send("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            return connection
        }
        // Time for the gate to read both heads and pass them on; one it had not read yet would
        // be closed for the next client instead (and the test fails here, not after a minute).
        Thread.sleep(forTimeInterval: 1)
        let early = try RawUnixConnection(path: socketPath)
        assertJSONError(early, status: 503, contains: "busy")
        guard early.response?.status == 503 else { return }
        Thread.sleep(forTimeInterval: 62)
        assertJSONError(try RawUnixConnection(path: socketPath), status: 503, contains: "busy")
        PolicyTestHandler.releaseHeld.store(true, ordering: .relaxed)
        for connection in [holder] + waiting {
            XCTAssertTrue(connection.waitForResponse(seconds: 10), "a waiting connection was not served")
            XCTAssertEqual(connection.response?.status, 200, String(decoding: connection.received, as: UTF8.self))
        }
    }

    func testFloodOfConnectionsNeverWedgesAWorker() throws {
        // Few slots per worker and connections arriving faster than workers take them: a passed-in
        // connection that found its worker full left that worker deadlocked in libmicrohttpd 0.9.75.
        try startServer(HTTPServerConfiguration(threads: 4, connectionLimit: 4, hardConnectionLimit: 8))
        let path = socketPath
        let stop = Atomic(false)
        let group = DispatchGroup()
        for _ in 0..<6 {
            group.enter()
            Thread.detachNewThread {
                while !stop.load(ordering: .relaxed) {
                    let client = try? UnixHTTPClient(socketPath: path, timeoutSeconds: 1)
                    _ = try? client?.post("/ping", body: [])
                    _ = try? RawUnixConnection(path: path)
                }
                group.leave()
            }
        }
        Thread.sleep(forTimeInterval: 4)
        stop.store(true, ordering: .relaxed)
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        var unanswered = 0
        for _ in 0..<20 {
            let client = try UnixHTTPClient(socketPath: socketPath, timeoutSeconds: 2)
            if (try? client.post("/ping", body: []))?.status != 200 { unanswered += 1 }
        }
        XCTAssertEqual(unanswered, 0, "new clients were not answered after the flood")
        // A wedged worker never finishes, so stop() would never return: stop on the side, bounded.
        let server = servers.removeFirst()
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            server.stop()
            stopped.signal()
        }
        XCTAssertEqual(stopped.wait(timeout: .now() + 10), .success, "stop() hangs: a worker thread is wedged")
    }

    // MARK: - Deadlines

    func testTricklingHeadIsCutOffAtTheHeaderDeadline() throws {
        try startServer()  // header deadline 10 s
        let connection = try RawUnixConnection(path: socketPath)
        let started = Date()
        XCTAssertTrue(connection.send("POST /ping HTTP/1.1\r\nX-Trickle: "))
        var closedAfter: Double?
        var lastByte = Date()
        while Date().timeIntervalSince(started) < 14 {
            if connection.isClosedByServer() {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
            if Date().timeIntervalSince(lastByte) >= 2 {
                connection.send("a")
                lastByte = Date()
            }
            usleep(100_000)
        }
        guard let closedAfter else { return XCTFail("a client trickling its head held the connection for 14 s") }
        print("trickling head closed after \(closedAfter) s")
        XCTAssertGreaterThan(closedAfter, 9.5)
        XCTAssertLessThan(closedAfter, 11.5)
        assertJSONError(connection, status: 408, contains: "10 s")
    }

    func testIdleKeepAliveConnectionOutlivesTheHeaderDeadline() throws {
        try startServer(HTTPServerConfiguration(idleTimeoutSeconds: 10, headerDeadlineSeconds: 1))
        let client = try UnixHTTPClient(socketPath: socketPath)
        XCTAssertEqual(try client.post("/ping", body: []).status, 200)
        Thread.sleep(forTimeInterval: 2.5)
        XCTAssertEqual(try client.post("/ping", body: []).status, 200)
        XCTAssertEqual(client.connectionsOpened, 1, "an idle keep-alive connection is not waiting for a head")
    }

    func testKeepAliveConnectionTricklingItsNextHeadIsClosedAtTheIdleTimeout() throws {
        try startServer(HTTPServerConfiguration(idleTimeoutSeconds: 2))
        let connection = try RawUnixConnection(path: socketPath)
        connection.send("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let started = Date()
        XCTAssertTrue(connection.waitForResponse(seconds: 5))
        XCTAssertFalse(connection.isClosedByServer())
        XCTAssertEqual(connection.response?.status, 200)
        connection.send("POST /ping HTTP/1.1\r\nX-Trickle: ")
        var closedAfter: Double?
        while Date().timeIntervalSince(started) < 8 {
            if connection.isClosedByServer() {
                closedAfter = Date().timeIntervalSince(started)
                break
            }
            connection.send("a")
            usleep(400_000)
        }
        guard let closedAfter else { return XCTFail("trickling the next head held a keep-alive connection for 8 s") }
        XCTAssertLessThan(closedAfter, 3.5)
    }

    func testHeadWithoutItsBodyIsCutOffAtTheBodyDeadline() throws {
        try startServer(HTTPServerConfiguration(idleTimeoutSeconds: 30, requestDeadlineSeconds: 1))
        let connection = try RawUnixConnection(path: socketPath)
        let started = Date()
        connection.send("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
        XCTAssertTrue(connection.readUntilClosed(seconds: 6), "a body that never starts held the connection")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.6)
    }

    // MARK: - Refusals are JSON

    func testUnsupportedHTTPVersionsGet400WithJSONError() throws {
        try startServer()
        for version in ["HTTP/2.0", "HTTP/9.9", "HTTP/0.9"] {
            let connection = try RawUnixConnection(path: socketPath)
            connection.send("POST /ping \(version)\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            assertJSONError(connection, status: 400, contains: version)
        }
        XCTAssertLessThan(timeToAnswerNewClient(), 2)
    }

    func testOversizeHeadGets431WithJSONError() throws {
        try startServer()
        let big = try RawUnixConnection(path: socketPath)
        big.send("POST /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 40_000) + "\r\n\r\n")
        assertJSONError(big, status: 431, contains: "8192 bytes")

        let many = try RawUnixConnection(path: socketPath)
        many.send("POST /ping HTTP/1.1\r\n" + (0..<200).map { "X-F\($0): v\r\n" }.joined() + "\r\n")
        assertJSONError(many, status: 431, contains: "100 header fields")

        // libmicrohttpd keeps every cookie as a field of its own: 8 KiB of them overflow its memory.
        let cookies = try RawUnixConnection(path: socketPath)
        cookies.send("POST /ping HTTP/1.1\r\nCookie: " + Array(repeating: "a=1", count: 1500).joined(separator: ";")
                     + "\r\n\r\n")
        assertJSONError(cookies, status: 431, contains: "100 header fields")

        // It splits cookies at commas too.
        let commaCookies = try RawUnixConnection(path: socketPath)
        commaCookies.send("POST /ping HTTP/1.1\r\nCookie: " + Array(repeating: "a=1", count: 1500).joined(separator: ",")
                          + "\r\n\r\n")
        assertJSONError(commaCookies, status: 431, contains: "100 header fields")

        let arguments = try RawUnixConnection(path: socketPath)
        arguments.send("GET /ping?" + Array(repeating: "a=1", count: 1500).joined(separator: "&") + " HTTP/1.1\r\n\r\n")
        assertJSONError(arguments, status: 431, contains: "100 header fields")
        XCTAssertLessThan(timeToAnswerNewClient(), 2)
    }

    func testMalformedHeadsGet400WithJSONError() throws {
        try startServer()
        let cases: [(String, String)] = [
            ("THIS IS NOT HTTP\r\n\r\n", "request line"),
            ("post /ping http/1.1\r\n\r\n", "request line"),
            ("POST /ping HTTP/1.1\r\nNoColonHere\r\n\r\n", "header line 2"),
            ("POST /ping HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n", "Content-Length"),
            ("POST /ping HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "Transfer-Encoding"),
            // libmicrohttpd keeps a value's trailing white space: it answered the first with its
            // HTML 400 and never answered the second (a body it neither decoded nor ended).
            ("POST /ping HTTP/1.1\r\nContent-Length: 2 \r\n\r\n{}", "Content-Length header: white space"),
            ("POST /ping HTTP/1.1\r\nContent-Length:\t2\t\r\n\r\n{}", "Content-Length header: white space"),
            ("POST /ping HTTP/1.1\r\nTransfer-Encoding: chunked \r\n\r\n2\r\n{}\r\n0\r\n\r\n",
             "Transfer-Encoding header: white space"),
        ]
        for (request, mentioned) in cases {
            let connection = try RawUnixConnection(path: socketPath)
            connection.send(request)
            assertJSONError(connection, status: 400, contains: mentioned)
        }
        let huge = try RawUnixConnection(path: socketPath)
        huge.send("POST /ping HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n")
        assertJSONError(huge, status: 413, contains: "request body larger than")
        XCTAssertLessThan(timeToAnswerNewClient(), 2)
    }

    /// Every spelling of the framing headers on a grid (value, white space before and after,
    /// the name's case) gets an answer, and the answer is JSON: nothing reaches libmicrohttpd
    /// that it would answer with its HTML page or not at all. Leading white space is all that
    /// libmicrohttpd takes off a value itself, so a valid value with only that is served.
    func testEveryFramingVariantGetsAJSONAnswer() throws {
        try startServer()
        let lengths = ["2", "02", "+2", "2x", "", "2,2", "-1", "2 2", "99999999999999999999"]
        let encodings = ["chunked", "Chunked", "CHUNKED", "gzip", "chunked, chunked", "gzip, chunked", "identity", "",
                         "chunked;x=1"]
        var heads: [(framing: String, payload: String, status: Int)] = []
        for before in ["", " ", "\t", " \t", "\t "] {
            for after in ["", " ", "\t"] {
                for (index, value) in lengths.enumerated() {
                    let name = ["Content-Length", "content-length", "CONTENT-LENGTH"][index % 3]
                    let status = !after.isEmpty ? 400 : ["2", "02"].contains(value) ? 200 : value == lengths.last ? 413 : 400
                    heads.append(("\(name):\(before)\(value)\(after)", "{}", status))
                }
                for (index, value) in encodings.enumerated() {
                    let name = ["Transfer-Encoding", "transfer-encoding", "TRANSFER-ENCODING"][index % 3]
                    let status = after.isEmpty && value.lowercased() == "chunked" ? 200 : 400
                    heads.append(("\(name):\(before)\(value)\(after)", "2\r\n{}\r\n0\r\n\r\n", status))
                }
                heads.append(("Cookie:\(before)a=1,b=2;c=3\(after)\r\nContent-Length: 2", "{}", 200))
            }
        }
        for (framing, payload, status) in heads {
            let connection = try RawUnixConnection(path: socketPath)
            connection.send("POST /ping HTTP/1.1\r\nHost: x\r\n\(framing)\r\n\r\n\(payload)")
            let head = framing.debugDescription
            guard connection.waitForResponse(seconds: 5), let response = connection.response else {
                XCTFail("no answer to \(head): \(String(decoding: connection.received, as: UTF8.self))")
                continue
            }
            XCTAssertEqual(response.status, status, head)
            XCTAssertEqual(response.headers["content-type"], "application/json", "\(head) got \(response.status)")
        }
    }

    /// Later requests on a kept-alive connection reach libmicrohttpd without the gate. A
    /// Transfer-Encoding it would not decode (white space after `chunked`, another coding)
    /// made it wait for the end of a body it could not find: no answer until the body deadline.
    func testEveryTransferEncodingOnALaterRequestGetsAJSONAnswer() throws {
        try startServer()
        let encodings = ["chunked", "Chunked", "gzip", "chunked, chunked", "identity", "", "chunked;x=1"]
        for before in ["", " ", "\t"] {
            for after in ["", " ", "\t"] {
                for value in encodings {
                    let connection = try RawUnixConnection(path: socketPath)
                    connection.send("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
                    XCTAssertTrue(connection.waitForResponse(seconds: 5))
                    XCTAssertEqual(connection.response?.status, 200)
                    connection.forgetReceived()
                    let framing = "Transfer-Encoding:\(before)\(value)\(after)"
                    connection.send("POST /ping HTTP/1.1\r\nHost: x\r\n\(framing)\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
                    let head = framing.debugDescription
                    guard connection.waitForResponse(seconds: 5), let response = connection.response else {
                        XCTFail("no answer to \(head) on a later request: \(String(decoding: connection.received, as: UTF8.self))")
                        continue
                    }
                    XCTAssertEqual(response.headers["content-type"], "application/json", "\(head) got \(response.status)")
                    if after.isEmpty && value.lowercased() == "chunked" {
                        XCTAssertEqual(response.status, 200, head)
                        continue
                    }
                    XCTAssertEqual(response.status, 400, head)
                    XCTAssertTrue(connection.readUntilClosed(seconds: 5), "\(head): the connection stayed open after the 400")
                    let body = connection.response?.body ?? ""
                    XCTAssertTrue(body.contains("Transfer-Encoding"), "\(head): \(body)")
                }
            }
        }
        // With a Transfer-Encoding, libmicrohttpd ignores Content-Length (the gate refuses
        // both on a first request): the chunked body is what counts, not a length beside it.
        let connection = try RawUnixConnection(path: socketPath)
        connection.send("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        XCTAssertTrue(connection.waitForResponse(seconds: 5))
        connection.forgetReceived()
        connection.send("POST /ping HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 99999999999\r\n\r\n2\r\n{}\r\n0\r\n\r\n")
        XCTAssertTrue(connection.waitForResponse(seconds: 5))
        XCTAssertEqual(connection.response?.status, 200, String(decoding: connection.received, as: UTF8.self))
    }

    func testHeadAtTheLimitsIsServed() throws {
        try startServer()
        let requestLine = "POST /ping HTTP/1.1\r\n"
        var fields = (1..<99).map { "X-F\($0): v\r\n" } + ["Content-Length: 0\r\n"]
        let used = requestLine.utf8.count + fields.joined().utf8.count + "X-Pad: \r\n\r\n".utf8.count
        fields.insert("X-Pad: " + String(repeating: "p", count: 8192 - used) + "\r\n", at: 0)
        XCTAssertEqual(fields.count, 100)
        let head = requestLine + fields.joined() + "\r\n"
        XCTAssertEqual(head.utf8.count, 8192)
        let connection = try RawUnixConnection(path: socketPath)
        connection.send(head)
        connection.waitForResponse(seconds: 5)
        XCTAssertFalse(connection.isClosedByServer())
        XCTAssertEqual(connection.response?.status, 200, String(decoding: connection.received, as: UTF8.self))
    }
}
