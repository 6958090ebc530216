import Foundation
import Synchronization
import XCTest
import SwiftnetAddress
import SwiftnetIPAM
@testable import SwiftnetStore

/// RequestAddress/ReleaseAddress calls that arrive together share one transaction of the real
/// store, each answered only after it; a failed transaction fails its calls and leaves memory
/// as the store has it.
final class GroupCommitTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swiftnet-group-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// 8 concurrent RequestAddress calls while the first one's commit is held up: the other 7
    /// are planned meanwhile (the lock is not held through a commit) and go in one transaction.
    /// With one commit per call under the lock, this was 8 transactions (and the 7 waited).
    func testConcurrentCallsShareOneTransaction() throws {
        let store = try GatedStore(StateStore(path: folder + "/state.db"))
        let service = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: 1), store: store, routes: NoHostRoutes())
        let pool = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.20.0.0/16"))
        store.batches.withLock { $0.removeAll() }
        store.holdNextCommit()
        let answers = Mutex<[String]>([])
        // Threads of their own, as the HTTP server's workers are (Dispatch would not start more
        // workers than cores while these block).
        let group = DispatchGroup()
        for _ in 0..<8 {
            group.enter()
            Thread {
                if let answer = try? service.requestAddress(.init(poolID: pool.id)) {
                    answers.withLock { $0.append(answer.cidr) }
                }
                group.leave()
            }.start()
        }
        // All 8 are in memory before any but the first is committed (bounded wait: on the old
        // code the lock is held through the held commit, so this gives up after 3 s).
        let deadline = Date().addingTimeInterval(3)
        while Date() < deadline, store.heldBack, (service.snapshot().usage(ofPool: pool.id)?.allocated ?? 0) < 8 {
            usleep(1_000)
        }
        store.release()
        XCTAssertEqual(group.wait(timeout: .now() + 10), .success)
        XCTAssertEqual(Set(answers.withLock { $0 }).count, 8)
        // The held transaction (the first call, and any that queued before it began) and one
        // for all the rest.
        let sizes = store.batches.withLock { $0.map(\.count) }
        XCTAssertEqual(sizes.count, 2, "\(sizes)")
        XCTAssertEqual(sizes.reduce(0, +), 8)
        // Every answer is in the file.
        XCTAssertEqual(try store.inner.loadIPAM().used[pool.id]?.count, 8)
    }

    /// A failed transaction: its call fails, memory is put back to the store's state (the
    /// address is free again), and the next call commits normally.
    func testFailedTransactionFailsItsCallsAndMemoryFollowsTheStore() throws {
        let store = try GatedStore(StateStore(path: folder + "/state.db"))
        let service = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: 1), store: store, routes: NoHostRoutes())
        let pool = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.21.0.0/24"))
        let first = try service.requestAddress(.init(poolID: pool.id))
        store.failNextCommit()
        XCTAssertThrowsError(try service.requestAddress(.init(poolID: pool.id)))
        XCTAssertEqual(service.snapshot().usage(ofPool: pool.id)?.allocated, 1, "the failed allocation is not in memory")
        let again = try service.requestAddress(.init(poolID: pool.id))
        XCTAssertNotEqual(again.address, first.address)
        XCTAssertEqual(try store.inner.loadIPAM().used[pool.id]?.count, 2)
        _ = try service.releaseAddress(poolID: pool.id, address: first.address.description)
        XCTAssertEqual(try store.inner.loadIPAM().used[pool.id], [again.address])
    }
}

private struct NoHostRoutes: HostRouteSource {
    func routes(family: IPFamily) throws -> [HostRoute] { [] }
}

/// The real store, with batch commits that can be held back or made to fail once.
private final class GatedStore: IPAMStore, @unchecked Sendable {
    let inner: StateStore
    let batches = Mutex<[[IPAMChange]]>([])
    private let gate = DispatchSemaphore(value: 0)
    private let flags = Mutex<(hold: Bool, held: Bool, fail: Bool)>((false, false, false))

    init(_ inner: StateStore) { self.inner = inner }

    func holdNextCommit() { flags.withLock { $0.hold = true } }
    func failNextCommit() { flags.withLock { $0.fail = true } }
    var heldBack: Bool { flags.withLock { $0.hold || $0.held } }
    func release() { if flags.withLock({ $0.held }) { gate.signal() } }

    func commit(_ changes: [IPAMChange]) throws {
        let (hold, fail) = flags.withLock { flags -> (Bool, Bool) in
            let asked = (flags.hold, flags.fail)
            if flags.hold { flags.held = true }
            flags.hold = false
            flags.fail = false
            return asked
        }
        if hold {
            _ = gate.wait(timeout: .now() + 5)
            flags.withLock { $0.held = false }
        }
        if fail { throw StateStoreError.corrupt("injected failure") }
        try inner.commit(changes)
        batches.withLock { $0.append(changes) }
    }

    func commit(_ change: IPAMChange) throws {
        // One commit per call (the code before group commit) goes through here: counted as a
        // batch of one, held and failed the same way.
        try commit([change])
    }

    func loadIPAM() throws -> IPAMSnapshot { try inner.loadIPAM() }
    func releaseCollectable(poolID: String, address: IPAddress, ifAllocatedBefore cutoff: Int) throws -> Bool {
        try inner.releaseCollectable(poolID: poolID, address: address, ifAllocatedBefore: cutoff)
    }
    func refreshAllocationTime(poolID: String, address: IPAddress) throws { try inner.refreshAllocationTime(poolID: poolID, address: address) }
    func loadRetryCandidates(since: Int) throws -> RetryCandidates { try inner.loadRetryCandidates(since: since) }
}
