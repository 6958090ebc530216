import Logging
import XCTest
@testable import SwiftnetLogging

final class EscapingLogHandlerTests: XCTestCase {
    func testEscapesWhatCouldBreakALine() {
        XCTAssertEqual("plain text: ü, 中文, 😀".logEscaped, "plain text: ü, 中文, 😀")
        XCTAssertEqual("a\r\nb".logEscaped, #"a\r\nb"#)
        XCTAssertEqual("tab\there".logEscaped, #"tab\there"#)
        XCTAssertEqual("\u{1B}[31mred".logEscaped, #"\u{1B}[31mred"#)
        XCTAssertEqual("nul\u{0}".logEscaped, #"nul\u{0}"#)
        XCTAssertEqual("del\u{7F} c1\u{85}\u{9B}".logEscaped, #"del\u{7F} c1\u{85}\u{9B}"#)
        XCTAssertEqual("ls\u{2028}ps\u{2029}".logEscaped, #"ls\u{2028}ps\u{2029}"#)
        XCTAssertEqual(#"a\nb"#.logEscaped, #"a\\nb"#, "a client's own backslash-n stays distinguishable")
        XCTAssertEqual("\u{A0}\u{2027}\u{202A}".logEscaped, "\u{A0}\u{2027}\u{202A}", "only controls and separators")
        for scalar in (0..<0x20).map({ Unicode.Scalar(UInt8($0)) }) + ["\u{7F}", "\u{80}", "\u{9F}", "\u{2028}", "\u{2029}"] {
            let escaped = String(Character(scalar)).logEscaped
            XCTAssertFalse(escaped.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029 },
                           "U+\(String(scalar.value, radix: 16))")
        }
    }

    /// The byte-level shortcut must say "nothing to escape" exactly when escaping changes nothing.
    func testTheQuickCheckAgreesWithTheEscaping() {
        var samples = ["", "plain", #"back\slash"#, "ü", "中文", "😀", "\u{85}", "\u{9F}", "\u{A0}", "\u{2027}", "\u{2028}", "\u{2029}",
                       "10.0.0.2/24", "LocalDefault/10.0.0.0/8", "x\u{7F}", "e\u{301}\""]
        samples += (0..<0x80).map { String(Character(Unicode.Scalar(UInt8($0)))) }
        samples += (0x80..<0x100).map { "ok " + String(Character(Unicode.Scalar(UInt8($0)))) }
        for sample in samples {
            XCTAssertEqual(sample.needsLogEscape, sample.logEscaped != sample, sample.debugDescription)
        }
    }

    /// The handler around swift-log's stream handler, as `swiftnet serve` installs it.
    func testOneLinePerEventWhateverTheStrings() {
        let stream = CollectingStream()
        var logger = Logger(label: "swiftnet") { label in
            EscapingLogHandler(StreamLogHandler(label: label, stream: stream, metadataProvider: nil))
        }
        logger.logLevel = .debug
        logger[metadataKey: "handler\rkey"] = "handler\nvalue"
        struct HostileError: Error, CustomStringConvertible { var description: String { "bad\nerror" } }
        logger.info("message\r\n2026-01-01T00:00:00+0000 critical swiftnet: [swiftnet] forged", metadata: [
            "poolID": "x\r\nforged line", "key\nwith break": "v",
            "list": .array(["a\nb", .dictionary(["k\u{2028}": "v\u{85}"])]),
            "convertible": .stringConvertible(HostileError()),
        ])
        logger.log(level: .warning, "with error", error: HostileError())
        let text = stream.text
        XCTAssertEqual(text.filter { $0 == "\n" }.count, 2, text)
        XCTAssertFalse(text.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n") || (0x7F...0x9F).contains($0.value)
                                                        || $0.value == 0x2028 || $0.value == 0x2029 }, text)
        for expected in [#"message\r\n2026-01-01T00:00:00+0000 critical swiftnet: [swiftnet] forged"#, #"poolID=x\r\nforged line"#,
                         #"key\nwith break=v"#, #"handler\rkey=handler\nvalue"#, #"convertible=bad\nerror"#, #"k\\u{2028}"#,
                         #"error.message=bad\nerror"#] {
            XCTAssertTrue(text.contains(expected), "\(expected) in \(text)")
        }
    }

    func testLevelsAndMetadataPassThrough() {
        let stream = CollectingStream()
        var logger = Logger(label: "l") { EscapingLogHandler(StreamLogHandler(label: $0, stream: stream, metadataProvider: nil)) }
        logger.logLevel = .warning
        logger.info("dropped")
        logger.warning("kept")
        XCTAssertEqual(logger.logLevel, .warning)
        logger[metadataKey: "a"] = "1"
        XCTAssertEqual(logger[metadataKey: "a"], "1")
        XCTAssertEqual(stream.text.components(separatedBy: "\n").filter { !$0.isEmpty }.count, 1)
        XCTAssertTrue(stream.text.contains("kept"))
    }
}

/// A TextOutputStream the test reads back.
final class CollectingStream: TextOutputStream, @unchecked Sendable {
    private let lock = NSLock()
    private var collected = ""
    func write(_ string: String) { lock.withLock { collected += string } }
    var text: String { lock.withLock { collected } }
}
