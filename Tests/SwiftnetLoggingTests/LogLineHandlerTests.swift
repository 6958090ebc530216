import Logging
import XCTest
@testable import SwiftnetLogging

/// The lines `swiftnet serve` writes: with a timestamp for a file or a terminal, with a `<N>`
/// priority and none for the journal, values quoted when they hold spaces.
final class LogLineHandlerTests: XCTestCase {
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [String] = []
        var all: [String] { lock.withLock { stored } }
        func append(_ line: String) { lock.withLock { stored.append(line) } }
    }

    func logger(_ style: LogLineHandler.Style, _ lines: Lines, level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "swiftnet") { label in
            EscapingLogHandler(LogLineHandler(label: label, style: style, write: { lines.append($0) },
                                              now: { "2026-12-01T02:40:52+0000" }))
        }
        logger.logLevel = level
        return logger
    }

    func testJournalLinesStartWithTheirPriorityAndCarryNoTimestamp() {
        let lines = Lines()
        let log = logger(.journal, lines)
        log.trace("t")
        log.debug("d")
        log.info("CreateEndpoint", metadata: ["network": "abc", "endpoint": "def"])
        log.notice("repaired: recreated bridge swn-1")
        log.warning("RequestPool failed", metadata: ["error": "pool 10.0.0.0/8 overlaps 10.1.0.0/16 (route on eth0)"])
        log.error("e")
        log.critical("cannot start: no socket")
        XCTAssertEqual(lines.all, [
            "<7>t\n", "<7>d\n", "<6>CreateEndpoint endpoint=def network=abc\n", "<5>repaired: recreated bridge swn-1\n",
            "<4>RequestPool failed error=\"pool 10.0.0.0/8 overlaps 10.1.0.0/16 (route on eth0)\"\n", "<3>e\n",
            "<2>cannot start: no socket\n",
        ])
    }

    func testPlainLinesStartWithTimestampLevelAndLabel() {
        let lines = Lines()
        logger(.plain, lines).warning("RequestPool failed", metadata: ["pool": "10.0.0.0/8", "why": "in use"])
        XCTAssertEqual(lines.all, ["2026-12-01T02:40:52+0000 warning swiftnet: RequestPool failed pool=10.0.0.0/8 why=\"in use\"\n"])
        XCTAssertTrue(LogLineHandler.localTimestamp().wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}/) != nil,
                      LogLineHandler.localTimestamp())
    }

    /// A value cannot pose as another key or end early: quotes inside are written `\"`, and a
    /// backslash the client sent is doubled (by the escaping handler) before that.
    func testValuesThatCouldBeMisreadAreQuoted() {
        XCTAssertEqual(LogLineHandler.quotedIfNeeded("plain"), "plain")
        XCTAssertEqual(LogLineHandler.quotedIfNeeded(""), #""""#)
        XCTAssertEqual(LogLineHandler.quotedIfNeeded("a b"), #""a b""#)
        XCTAssertEqual(LogLineHandler.quotedIfNeeded("x=1"), #""x=1""#)
        XCTAssertEqual(LogLineHandler.quotedIfNeeded(#"say "hi""#), #""say \"hi\"""#)
        // A quote joined by a combining mark (one Character, not equal to `"`) is still escaped,
        // so `key="…"` ends where it seems to.
        XCTAssertEqual(LogLineHandler.quotedIfNeeded("a \"\u{301} b=1"), "\"a \\\"\u{301} b=1\"")
        let lines = Lines()
        logger(.journal, lines).info("m", metadata: ["name": #"web" forged=1 x="#, "path": #"a\" b"#,
                                                     "list": .array(["a b", "c"])])
        XCTAssertEqual(lines.all, [#"<6>m list="[\"a b\", \"c\"]" name="web\" forged=1 x=" path="a\\\" b""# + "\n"])
    }

    /// What the escaping handler makes of an error and of control characters, in the journal style.
    func testErrorsAndControlCharactersStayOnOneLine() {
        struct Failure: Error, CustomStringConvertible { var description: String { "bad\nthing" } }
        let lines = Lines()
        logger(.journal, lines).log(level: .error, "call failed", error: Failure())
        XCTAssertEqual(lines.all.count, 1)
        XCTAssertTrue(lines.all[0].hasPrefix(#"<3>call failed error.message=bad\nthing error.type="#), lines.all[0])
        XCTAssertEqual(lines.all[0].filter { $0 == "\n" }.count, 1)
    }

    func testJournalStreamCountsOnlyWhenItNamesStandardError() {
        XCTAssertTrue(JournalStream.names("8:12345", device: 8, inode: 12345))
        XCTAssertFalse(JournalStream.names("8:12345", device: 8, inode: 12346), "another stream: stderr was redirected")
        XCTAssertFalse(JournalStream.names("9:12345", device: 8, inode: 12345))
        for malformed in ["", "8", "8:", ":1", "8:1:2", "x:1", "8:-1"] {
            XCTAssertFalse(JournalStream.names(malformed, device: 8, inode: 1), malformed)
        }
    }
}
