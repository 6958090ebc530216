import CNetlink
import Foundation
import Synchronization
import XCTest
@testable import SwiftnetKernel

/// Dumps while other links come and go, as on a Docker host where veths are created and
/// deleted all the time: the kernel flags a dump that spans a change (NLM_F_DUMP_INTR), and
/// every caller must get a whole answer anyway, never `-NLE_DUMP_INTR`.
extension LinkManagerTests {
    func testLinkAndAddressDumpsSurviveConcurrentChanges() throws {
        // Enough links that a dump takes several netlink messages, so a change can fall
        // between two of them.
        let bridge = newName()
        try manager.createBridge(name: bridge)
        for _ in 0..<120 {
            try manager.createVethPair(host: newName(), peer: newName())
        }
        let stop = Atomic(false)
        let churned = Atomic(0)
        let churner = Thread { [manager] in
            guard let manager else { return }
            // Bounded: stops when told, or after this many changes at the latest.
            for round in 0..<20_000 where !stop.load(ordering: .relaxed) {
                let name = "swtc\(round % 4)" + String(UInt32(getpid()) % 10_000)
                _ = try? manager.createVethPair(host: name, peer: name + "p")
                _ = try? manager.deleteLink(name)
                churned.add(1, ordering: .relaxed)
            }
        }
        churner.start()
        defer {
            stop.store(true, ordering: .relaxed)
            while !churner.isFinished { usleep(10_000) }
            for round in 0..<4 { _ = try? manager.deleteLink("swtc\(round)" + String(UInt32(getpid()) % 10_000)) }
        }
        var failures: [String] = []
        let deadline = Date().addingTimeInterval(20)
        var dumps = 0
        while dumps < 300 && Date() < deadline {
            do {
                XCTAssertGreaterThan(try manager.links().count, 240)
                _ = try manager.addresses(of: bridge)
                _ = try RouteReader().routes(family: .v4)
            } catch {
                failures.append("\(error)")
            }
            dumps += 1
        }
        stop.store(true, ordering: .relaxed)
        XCTAssertGreaterThan(churned.load(ordering: .relaxed), 10, "the links must really have changed during the dumps")
        XCTAssertEqual(failures, [], "\(failures.count) of \(dumps) dump rounds failed")
    }

    /// The retry itself, with a dump that is interrupted a given number of times.
    func testInterruptedDumpIsRetriedWithinItsBound() {
        var calls = 0
        XCTAssertEqual(InterruptedDump.retrying { calls += 1; return calls < 3 ? -NLE_DUMP_INTR : 0 }, 0)
        XCTAssertEqual(calls, 3)
        calls = 0
        XCTAssertEqual(InterruptedDump.retrying { calls += 1; return -NLE_DUMP_INTR }, -NLE_DUMP_INTR)
        XCTAssertEqual(calls, InterruptedDump.attempts, "a table that never stops changing is not dumped for ever")
        calls = 0
        XCTAssertEqual(InterruptedDump.retrying { calls += 1; return -NLE_NOMEM }, -NLE_NOMEM)
        XCTAssertEqual(calls, 1, "other failures are not retried")
    }
}
