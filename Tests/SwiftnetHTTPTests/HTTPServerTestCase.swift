import Foundation
import Logging
import SwiftnetHTTP
import XCTest

/// `HTTPServer`s on a temporary Unix socket with a handler of the test's own: the fixture of
/// the transport tests, which need no plugin behind the socket. Servers are stopped and the
/// folder removed after each test.
class HTTPServerTestCase: XCTestCase {
    var directory = ""
    var socketPath = ""
    var servers: [HTTPServer] = []

    override func setUpWithError() throws {
        // Short on purpose: sun_path holds only 107 bytes.
        directory = "/tmp/snt-\(UUID().uuidString.prefix(8))"
        socketPath = directory + "/p.sock"
    }

    override func tearDown() {
        for server in servers { server.stop() }
        servers = []
        UnixListeningSocket.remove(path: socketPath)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Binds `socketPath` and serves `handler` there; the server's own log lines below
    /// `logLevel` are dropped.
    @discardableResult
    func startServer(_ configuration: HTTPServerConfiguration, handler: any HTTPHandler,
                     logLevel: Logger.Level) throws -> HTTPServer {
        let fd = try UnixListeningSocket.bind(path: socketPath)
        var logger = Logger(label: "swiftnet.http.test")
        logger.logLevel = logLevel
        let server = try HTTPServer(listeningSocket: fd, configuration: configuration, handler: handler, logger: logger)
        servers.append(server)
        return server
    }
}
