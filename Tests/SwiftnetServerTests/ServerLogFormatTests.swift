import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// `swiftnet serve`'s log lines as systemd's journal gets them (`JOURNAL_STREAM` naming its
/// stderr) and as a log file gets them (anything else).
final class ServerLogFormatTests: XCTestCase {
    var server: ServerProcess!

    override func tearDownWithError() throws {
        server?.cleanUp()
    }

    /// Starts a server whose stderr is its log file, with `JOURNAL_STREAM` naming that file
    /// (as systemd names the journal's stream) or, with `naming: false`, another file; makes
    /// it log a refused call (warning) and stops it. Its log lines.
    func serve(journalNamesStandardError: Bool) throws -> [String] {
        server = ServerProcess()
        server.extraArguments = ["--default-address-pool", "base=10.196.0.0/16,size=24"]
        XCTAssertTrue(FileManager.default.createFile(atPath: server.logPath, contents: nil))
        let other = server.folder + "/other"
        XCTAssertTrue(FileManager.default.createFile(atPath: other, contents: nil))
        var info = stat()
        XCTAssertEqual(stat(journalNamesStandardError ? server.logPath : other, &info), 0)
        server.environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)"
        try server.start()
        let client = try server.client()
        defer { client.close() }
        let refused = try client.call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"10.196.0.0/33"}"#)
        XCTAssertNotEqual(refused.status, 200)
        XCTAssertEqual(server.terminate(), 0)
        return server.log.split(separator: "\n").map(String.init)
    }

    func testUnderTheJournalEachLineStartsWithItsPriorityAndHasNoTimestamp() throws {
        let lines = try serve(journalNamesStandardError: true)
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            XCTAssertNotNil(line.wholeMatch(of: /<[2-7]>[^<].*/), "no priority: \(line)")
            XCTAssertNil(line.firstMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/), "a timestamp of our own: \(line)")
        }
        let warning = try XCTUnwrap(lines.first { $0.hasPrefix("<4>") }, lines.joined(separator: "\n"))
        XCTAssertTrue(warning.contains("RequestPool failed"), warning)
        // The error's text holds spaces: quoted, so that key=value pairs read back.
        XCTAssertNotNil(warning.firstMatch(of: #/ error="[^"]* [^"]*"/#), warning)
        XCTAssertTrue(lines.contains { $0.hasPrefix("<6>stopping") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("<7>") }, "debug lines at 7 (the test server logs at debug)")
    }

    func testJournalStreamOfAnotherFileLeavesTheUsualLines() throws {
        let lines = try serve(journalNamesStandardError: false)
        XCTAssertFalse(lines.isEmpty)
        for line in lines {
            XCTAssertNotNil(line.prefixMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} (trace|debug|info|notice|warning|error|critical) swiftnet: /#),
                            line)
        }
        XCTAssertTrue(lines.contains { $0.contains(" warning swiftnet: IpamDriver.RequestPool failed error=\"invalid address pool: 10.196.0.0/33\"") }, lines.joined(separator: "\n"))
    }

    /// `--log-file` (the installs without systemd use it): plain lines in the file, which
    /// rotates by size, keeping --log-rotate-keep files; nothing on the old stderr.
    func testLogFileRotatesBySize() throws {
        server = ServerProcess()
        let path = server.folder + "/swiftnet.log"
        server.extraArguments = ["--default-address-pool", "base=10.196.0.0/16,size=24",
                                 "--log-file", path, "--log-rotate-size", "4K", "--log-rotate-keep", "2"]
        server.environment["JOURNAL_STREAM"] = "1:1"
        try server.start()
        let client = try server.client()
        defer { client.close() }
        let pool = try client.requestPool("10.196.7.0/24")
        let exists = { (name: String) in FileManager.default.fileExists(atPath: name) }
        for _ in 0..<400 where !exists(path + ".2") {
            let address = try client.requestAddress(pool: pool.id)
            try client.releaseAddress(pool: pool.id, address: String(address.split(separator: "/")[0]))
        }
        for _ in 0..<100 { _ = try client.requestAddress(pool: pool.id) }
        XCTAssertEqual(server.terminate(), 0)
        XCTAssertTrue(exists(path + ".2"), "rotated twice")
        XCTAssertFalse(exists(path + ".3"), "--log-rotate-keep 2")
        for name in [path, path + ".1", path + ".2"] {
            let text = try String(contentsOfFile: name, encoding: .utf8)
            XCTAssertLessThanOrEqual(text.utf8.count, 4096, name)
            for line in text.split(separator: "\n") {
                XCTAssertNotNil(line.prefixMatch(of: #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} /#), "\(name): \(line)")
            }
        }
        XCTAssertTrue(try String(contentsOfFile: path, encoding: .utf8).contains("stopping"), "the newest lines in PATH")
        XCTAssertEqual(server.log, "", "nothing on the stderr it was started with")

        let refused = try server.launch(arguments: ["serve", "--log-file", server.folder + "/x.log", "--log-rotate-size", "1K"])
        refused.waitUntilExit()
        XCTAssertEqual(refused.terminationStatus, 64)
        XCTAssertTrue(server.log.hasPrefix("swiftnet: error: --log-rotate-size must be a size of at least 4K"), server.log)
    }
}
