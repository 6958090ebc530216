import Glibc
import SwiftnetServer
import XCTest

/// The watchdog's pure decision: when descriptors count as exhausted, and when that ends the
/// process.
final class DescriptorWatchTests: XCTestCase {
    func testReserveIsASixteenthOfTheLimitBetween8And64() {
        XCTAssertEqual(DescriptorUsage.reserve(limit: 40), 8)
        XCTAssertEqual(DescriptorUsage.reserve(limit: 256), 16)
        XCTAssertEqual(DescriptorUsage.reserve(limit: 1024), 64)
        XCTAssertEqual(DescriptorUsage.reserve(limit: 65536), 64)
    }

    func testExhaustedWhenFewerThanTheReserveAreFree() {
        XCTAssertNil(DescriptorUsage(open: 30, limit: 1024).problem)
        XCTAssertNil(DescriptorUsage(open: 960, limit: 1024).problem, "exactly the reserve free")
        let problem = DescriptorUsage(open: 961, limit: 1024).problem
        XCTAssertEqual(problem, "file descriptors nearly exhausted: 961 of 1024 open, fewer than 64 free")
        XCTAssertNil(DescriptorUsage(open: nil, limit: 1024).problem, "an uncounted process is not failing for that alone")
    }

    func testAFailedTrialOpenIsExhaustionWhateverTheCount() {
        XCTAssertEqual(DescriptorUsage(open: 40, limit: 40, openError: EMFILE).problem,
                       "file descriptors exhausted: cannot open one (EMFILE, 40 of 40 open)")
        XCTAssertEqual(DescriptorUsage(open: 12, limit: 1024, openError: ENFILE).problem,
                       "the system's file table is full: cannot open a file descriptor (ENFILE, 12 of 1024 open)")
        XCTAssertNil(DescriptorUsage(open: 12, limit: 1024, openError: ENOENT).problem, "no /dev/null is not exhaustion")
    }

    func testExitsOnlyAfterEnoughChecksInARow() {
        var watch = DescriptorWatch(checksBeforeExit: 2)
        let full = DescriptorUsage(open: 40, limit: 40, openError: EMFILE)
        let fine = DescriptorUsage(open: 20, limit: 40)
        XCTAssertEqual(watch.record(fine), .healthy)
        guard case .exhausted = watch.record(full) else { return XCTFail("first exhausted check") }
        XCTAssertEqual(watch.record(fine), .healthy, "recovered: the count starts again")
        XCTAssertEqual(watch.exhaustedChecks, 0)
        guard case .exhausted = watch.record(full) else { return XCTFail("exhausted again") }
        XCTAssertEqual(watch.record(full), .exit(full.problem!))
        XCTAssertEqual(watch.exhaustedChecks, 2)
    }

    func testOneCheckIsTheLeast() {
        var watch = DescriptorWatch(checksBeforeExit: 0)
        XCTAssertEqual(watch.checksBeforeExit, 1)
        guard case .exit = watch.record(DescriptorUsage(open: 40, limit: 40, openError: EMFILE)) else { return XCTFail() }
    }
}
