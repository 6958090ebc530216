import Foundation
import SwiftnetFirewall
import XCTest

/// One owner per chain prefix (in a network namespace), held as long as the lock lives.
final class ChainsLockTests: XCTestCase {
    let prefix = "SWL" + String(UInt32.random(in: 0...UInt32.max), radix: 16).uppercased()

    func testASecondHolderIsRefusedAndToldWhoHoldsIt() throws {
        var first: ChainsLock? = try ChainsLock(prefix: prefix)
        // Every refusal names the holder, however many there are.
        for _ in 0..<20 {
            XCTAssertThrowsError(try ChainsLock(prefix: prefix)) { error in
                XCTAssertEqual(error as? ChainsLockError, .held(prefix: prefix, holderPID: getpid()))
                XCTAssertTrue("\(error)".contains("another swiftnet (pid \(getpid())) owns the iptables chains \(prefix)-…"), "\(error)")
            }
        }
        // Another prefix is another lock.
        XCTAssertNoThrow(try ChainsLock(prefix: prefix + "B"))
        let path = try XCTUnwrap(first?.path)
        XCTAssertTrue(path.hasPrefix(ChainsLock.folder + "/chains-") && path.hasSuffix("-\(prefix).lock"), path)
        first = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: path), "the lock file outlived its holder")
        XCTAssertNoThrow(try ChainsLock(prefix: prefix), "released when its holder goes")
    }

    /// A holder killed with -9 leaves its file, with its pid, but no lock: the next one takes it.
    func testAFileLeftByAKilledHolderIsTaken() throws {
        let path = try ChainsLock(prefix: prefix).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("99999999\n".utf8)))
        defer { unlink(path) }
        let lock = try ChainsLock(prefix: prefix)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "\(getpid())\n")
        withExtendedLifetime(lock) {}
    }

    /// Root's locks are in a folder only root can enter: no other user can take a prefix
    /// first and keep swiftnet from starting.
    func testRootsLockFolderIsRootsAlone() throws {
        guard geteuid() == 0 else { throw XCTSkip("root's folder") }
        let lock = try ChainsLock(prefix: prefix)
        var info = stat()
        XCTAssertEqual(stat(ChainsLock.folder, &info), 0)
        XCTAssertEqual(info.st_uid, 0)
        XCTAssertEqual(info.st_mode & 0o077, 0, "mode \(String(info.st_mode & 0o777, radix: 8))")
        withExtendedLifetime(lock) {}
    }
}
