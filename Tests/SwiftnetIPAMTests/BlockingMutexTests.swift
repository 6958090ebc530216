import Foundation
import XCTest
@testable import SwiftnetIPAM

final class BlockingMutexTests: XCTestCase {
    /// Threads that each add under the lock lose no addition.
    func testConcurrentUpdatesAreNotLost() {
        let counter = BlockingMutex(0)
        let threads = 4, rounds = 20_000
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<rounds { counter.withLock { $0 += 1 } }
        }
        XCTAssertEqual(counter.withLock { $0 }, threads * rounds)
    }

    func testAThrowingBodyReleasesTheLock() {
        struct Refused: Error {}
        let value = BlockingMutex([1])
        XCTAssertThrowsError(try value.withLock { (_: inout [Int]) -> Void in throw Refused() })
        XCTAssertEqual(value.withLock { $0 }, [1], "not held any more")
    }
}
