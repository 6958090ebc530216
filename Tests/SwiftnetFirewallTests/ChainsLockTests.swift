import Foundation
import SwiftnetFirewall
import XCTest

/// One owner per chain prefix (in a network namespace), held as long as the lock lives. No
/// root needed: the lock is an abstract Unix socket.
final class ChainsLockTests: XCTestCase {
    let prefix = "SWL" + String(UInt32.random(in: 0...UInt32.max), radix: 16).uppercased()

    func testASecondHolderIsRefusedAndToldWhoHoldsIt() throws {
        var first: ChainsLock? = try ChainsLock(prefix: prefix)
        XCTAssertThrowsError(try ChainsLock(prefix: prefix)) { error in
            XCTAssertEqual(error as? ChainsLockError, .held(prefix: prefix, holderPID: getpid()))
            XCTAssertTrue("\(error)".contains("another swiftnet (pid \(getpid())) owns the iptables chains \(prefix)-…"), "\(error)")
        }
        // Another prefix is another lock.
        XCTAssertNoThrow(try ChainsLock(prefix: prefix + "B"))
        withExtendedLifetime(first) {}
        first = nil
        XCTAssertNoThrow(try ChainsLock(prefix: prefix), "released when its holder goes")
    }

    /// The holder's pid is learnt by connecting to the lock, which never accepts: probes past
    /// its backlog leave the pid unsaid instead of blocking.
    func testManyRefusalsNeitherBlockNorFail() throws {
        let held = try ChainsLock(prefix: prefix)
        for _ in 0..<20 {
            XCTAssertThrowsError(try ChainsLock(prefix: prefix)) { error in
                guard case .held(let refused, _)? = error as? ChainsLockError else { return XCTFail("\(error)") }
                XCTAssertEqual(refused, prefix)
            }
        }
        withExtendedLifetime(held) {}
    }
}
