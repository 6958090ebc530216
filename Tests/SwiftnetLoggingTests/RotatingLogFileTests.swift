import Foundation
import XCTest
@testable import SwiftnetLogging

/// `--log-file`'s own rotation by size (hosts without systemd have no journal, and often no
/// cron to run logrotate).
final class RotatingLogFileTests: XCTestCase {
    var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swn-logfile-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    func testRotatesAtTheSizeAndKeepsTheNewestFiles() throws {
        let path = folder + "/swiftnet.log"
        try "old line\n".write(toFile: path, atomically: false, encoding: .utf8)
        let file = try RotatingLogFile(path: path, maximumBytes: 100, keep: 2, redirectingStandardStreams: false)
        // Lines of 10 bytes: a file takes lines while it stays within 100 bytes.
        let line = { (number: Int) in String(format: "line %04d\n", number) }
        for number in 0..<20 { file.write(line(number)) }
        XCTAssertEqual(contents(path + ".2"), "old line\n" + (0..<9).map(line).joined(), "99 bytes: the next line would pass 100")
        XCTAssertEqual(contents(path + ".1"), (9..<19).map(line).joined())
        XCTAssertEqual(contents(path), line(19))
        let all = [path + ".2", path + ".1", path].compactMap(contents).joined()
        XCTAssertEqual(all, "old line\n" + (0..<20).map { String(format: "line %04d\n", $0) }.joined(), "nothing lost within keep, in order")
        for name in [path, path + ".1", path + ".2"] {
            XCTAssertLessThanOrEqual(try XCTUnwrap(contents(name)).utf8.count, 100, name)
        }
        XCTAssertNil(contents(path + ".3"))
        // More: the oldest file goes, three stay.
        for number in 20..<60 { file.write(String(format: "line %04d\n", number)) }
        XCTAssertNil(contents(path + ".3"), "keep 2: PATH, PATH.1, PATH.2")
        XCTAssertEqual([path + ".2", path + ".1", path].compactMap(contents).joined(),
                       (39..<60).map(line).joined())
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        XCTAssertEqual(mode?.intValue, 0o640)
    }

    func testALineLongerThanTheMaximumIsWrittenWhole() throws {
        let path = folder + "/long.log"
        let file = try RotatingLogFile(path: path, maximumBytes: 10, keep: 1, redirectingStandardStreams: false)
        let long = String(repeating: "x", count: 50) + "\n"
        file.write(long)
        file.write("short\n")
        XCTAssertEqual(contents(path + ".1"), long)
        XCTAssertEqual(contents(path), "short\n")
    }

    func testAFolderThatCannotBeOpenedIsAClearError() {
        XCTAssertThrowsError(try RotatingLogFile(path: folder + "/missing/x.log", maximumBytes: 10, keep: 1, redirectingStandardStreams: false)) {
            XCTAssertTrue("\($0)".hasPrefix("cannot open log file \(self.folder)/missing/x.log: No such file"), "\($0)")
        }
    }
}

extension RotatingLogFileTests {
    func testSizesTakeKMAndG() {
        XCTAssertEqual(RotatingLogFile.bytes("4096"), 4096)
        XCTAssertEqual(RotatingLogFile.bytes("64K"), 65536)
        XCTAssertEqual(RotatingLogFile.bytes("10M"), 10 << 20)
        XCTAssertEqual(RotatingLogFile.bytes("1g"), 1 << 30)
        for bad in ["", "M", "-1", "1.5M", "10MB", "1T", "٣K", "99999999999999", "2048G"] {
            XCTAssertNil(RotatingLogFile.bytes(bad), bad)
        }
    }
}
