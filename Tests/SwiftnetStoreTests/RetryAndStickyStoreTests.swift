import Foundation
import SwiftnetAddress
import XCTest
import SwiftnetIPAM
@testable import SwiftnetStore

/// The service on the real store: which repeated requests get an earlier answer again (only
/// an unanswered one of a process that died, once), and the sticky table's bounds on disk.
final class RetryAndStickyStoreTests: XCTestCase {
    var folder: String!
    /// Set to the real time in setUp: the store stamps allocations with it.
    let clock = TestClock(0)
    let web = [IPAMOptions.endpointName: "web"]

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swiftnet-retry-\(UUID().uuidString)"
        clock.now = Int(Date().timeIntervalSince1970)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    var statePath: String { folder + "/state.db" }

    func service(_ store: StateStore, stickyNamesPerPool: Int = IPAMConfiguration.defaultStickyNamesPerPool) throws -> IPAMService {
        let configuration = IPAMConfiguration(localBases: PoolBase.dockerLocalV4, globalBases: [], stickyNamesPerPool: stickyNamesPerPool)
        let clock = self.clock
        return try IPAMService(configuration: configuration, store: store, routes: FixedRoutes(), clock: { clock.now })
    }

    /// What the server does at start after an unclean stop (Plugin.beginServing).
    /// The driver's answer: which addresses an endpoint has.
    struct Endpoints: AddressHolders {
        let held: @Sendable (IPAddress) -> Bool
        func holder(of address: IPAddress, in pool: PoolRecord) -> String? { nil }
        func isHeldByAnyEndpoint(_ address: IPAddress) -> Bool { held(address) }
    }

    func restartAfterCrash(_ store: StateStore, heldByEndpoint: (@Sendable (IPAddress) -> Bool)? = nil) throws -> IPAMService {
        let restarted = try service(store)
        if let heldByEndpoint { restarted.consult(Endpoints(held: heldByEndpoint)) }
        restarted.expectRetries(try store.loadRetryCandidates(since: clock.now - RetryCandidates.window))
        return restarted
    }

    func testWithinOneProcessASecondRequestOfOneNameGetsANewAddress() throws {
        let store = try StateStore(path: statePath)
        let ipam = try service(store)
        let pool = try ipam.requestPool(.init(addressSpace: "LocalDefault", pool: "10.50.0.0/24"))
        let first = try ipam.requestAddress(.init(poolID: pool.id, options: web)).address
        let second = try ipam.requestAddress(.init(poolID: pool.id, options: web)).address
        XCTAssertNotEqual(first, second)
    }

    func testAnUnansweredAddressIsGivenAgainOnceAfterACrash() throws {
        let store = try StateStore(path: statePath)
        let pool = try service(store).requestPool(.init(addressSpace: "LocalDefault", pool: "10.51.0.0/24"))
        let first = try service(store).requestAddress(.init(poolID: pool.id, options: web)).address
        clock.now += 5
        let ipam = try restartAfterCrash(store)
        XCTAssertEqual(try ipam.requestAddress(.init(poolID: pool.id, options: web)).address, first, "the retry")
        XCTAssertNotEqual(try ipam.requestAddress(.init(poolID: pool.id, options: web)).address, first, "given once")
        XCTAssertEqual(ipam.snapshot().usage(ofPool: pool.id)?.allocated, 2)
    }

    /// Docker 29's `--ip` carries the name too: the retry of an unanswered one gets its
    /// address again once; a request of the name for another address is not that retry.
    func testAnUnansweredAddressAskedForByValueIsGivenAgainOnceAfterACrash() throws {
        let store = try StateStore(path: statePath)
        let pool = try service(store).requestPool(.init(addressSpace: "LocalDefault", pool: "10.57.0.0/24"))
        let first = try service(store).requestAddress(.init(poolID: pool.id, address: "10.57.0.50", options: web)).address
        clock.now += 5
        let ipam = try restartAfterCrash(store)
        XCTAssertThrowsError(try ipam.requestAddress(.init(poolID: pool.id, address: "10.57.0.50", options: ["com.docker.network.endpoint.name": "db"])),
                             "another container's request for it is no retry")
        XCTAssertEqual(try ipam.requestAddress(.init(poolID: pool.id, address: "10.57.0.50", options: web)).address, first, "the retry")
        XCTAssertThrowsError(try ipam.requestAddress(.init(poolID: pool.id, address: "10.57.0.50", options: web)), "given once")
        XCTAssertEqual(ipam.snapshot().usage(ofPool: pool.id)?.allocated, 1)
    }

    func testNoRetryAnswerForAnAddressAnEndpointHolds() throws {
        let store = try StateStore(path: statePath)
        let pool = try service(store).requestPool(.init(addressSpace: "LocalDefault", pool: "10.52.0.0/24"))
        let held = try service(store).requestAddress(.init(poolID: pool.id, options: web)).address
        let ipam = try restartAfterCrash(store, heldByEndpoint: { $0 == held })
        XCTAssertNotEqual(try ipam.requestAddress(.init(poolID: pool.id, options: web)).address, held)
    }

    func testNoRetryAnswerOutsideTheWindowOrAfterARelease() throws {
        let store = try StateStore(path: statePath)
        let pool = try service(store).requestPool(.init(addressSpace: "LocalDefault", pool: "10.53.0.0/24"))
        let before = try service(store)
        let late = try before.requestAddress(.init(poolID: pool.id, options: web)).address
        let released = try before.requestAddress(.init(poolID: pool.id, options: ["com.docker.network.endpoint.name": "db"])).address
        let ipam = try restartAfterCrash(store)
        _ = try ipam.releaseAddress(poolID: pool.id, address: released.description)
        _ = try ipam.requestAddress(.init(poolID: pool.id, address: released.description))  // someone takes it with --ip
        XCTAssertNotEqual(try ipam.requestAddress(.init(poolID: pool.id, options: ["com.docker.network.endpoint.name": "db"])).address,
                          released, "released meanwhile: not an answer to give again")
        // Past the window from now, not from setUp: the store stamps allocations with the real
        // time, which on a loaded machine may be a second or more after setUp's.
        clock.now = Int(Date().timeIntervalSince1970) + RetryCandidates.window + 1
        XCTAssertNotEqual(try ipam.requestAddress(.init(poolID: pool.id, options: web)).address, late, "too late for a retry")
    }

    func testAnIdenticalExplicitPoolIsRefusedUnlessItIsTheRetryOfAnUnansweredOne() throws {
        let store = try StateStore(path: statePath)
        let request = IPAMAllocator.PoolRequest(addressSpace: "LocalDefault", pool: "10.54.0.0/24")
        let ipam = try service(store)
        let pool = try ipam.requestPool(request)
        XCTAssertThrowsError(try ipam.requestPool(request)) { error in
            XCTAssertTrue("\(error)".contains("Pool overlaps with other one on this address space"), "\(error)")
        }
        // The pool of one holder stays until that holder releases it.
        XCTAssertEqual(try ipam.requestAddress(.init(poolID: pool.id)).cidr, "10.54.0.1/24")

        let crashed = IPAMAllocator.PoolRequest(addressSpace: "LocalDefault", pool: "10.55.0.0/24")
        let made = try service(store).requestPool(crashed)
        let restarted = try restartAfterCrash(store)
        XCTAssertEqual(try restarted.requestPool(crashed), made, "the retry gets the pool it never heard of")
        XCTAssertThrowsError(try restarted.requestPool(crashed), "once")
    }

    /// The table on disk follows memory: names pushed out go in the same transaction.
    func testStickyRowsStayWithinTheBound() throws {
        let store = try StateStore(path: statePath)
        let ipam = try service(store, stickyNamesPerPool: 5)
        let pool = try ipam.requestPool(.init(addressSpace: "LocalDefault", pool: "10.56.0.0/16"))
        for round in 0..<20 {
            let name = [IPAMOptions.endpointName: "gen-\(round)"]
            let address = try ipam.requestAddress(.init(poolID: pool.id, options: name)).address
            _ = try ipam.releaseAddress(poolID: pool.id, address: address.description)
            XCTAssertLessThanOrEqual(try stickyRows(store), 5)
        }
        XCTAssertEqual(try stickyRows(store), 5)
        let names = try store.queue.read { try String.fetchAll($0, sql: "SELECT name FROM sticky ORDER BY last_use") }
        XCTAssertEqual(names, ["gen-15", "gen-16", "gen-17", "gen-18", "gen-19"])
        // Reloaded, the order of use survives: the next new name pushes out gen-15.
        let reloaded = try service(store, stickyNamesPerPool: 5)
        _ = try reloaded.requestAddress(.init(poolID: pool.id, options: [IPAMOptions.endpointName: "late"]))
        XCTAssertNil(reloaded.snapshot().stickyAddress(poolID: pool.id, name: "gen-15"))
        XCTAssertEqual(try stickyRows(store), 5)
    }

    /// A state written before the bounds (every row `last_use` 0, any number of names per
    /// address) is brought within them at load, on disk too.
    func testAnOldUnboundedTableIsTrimmedAtLoad() throws {
        let store = try StateStore(path: statePath)
        let columns = try store.queue.read { try String.fetchAll($0, sql: "SELECT name FROM pragma_table_info('sticky')") }
        XCTAssertTrue(columns.contains("last_use"), "v5 migration: \(columns)")
        let pool = try service(store).requestPool(.init(addressSpace: "LocalDefault", pool: "10.57.0.0/16"))
        try store.queue.write { db in
            for index in 0..<2_000 {
                // 2,000 names on 500 addresses.
                try db.execute(sql: "INSERT INTO sticky (pool_id, name, address) VALUES (?, ?, ?)",
                               arguments: [pool.id, "old-\(index)", "10.57.1.\(index % 250 + 1)"])
                try db.execute(sql: "INSERT OR IGNORE INTO sticky (pool_id, name, address) VALUES (?, ?, ?)",
                               arguments: [pool.id, "older-\(index)", "10.57.2.\(index % 250 + 1)"])
            }
        }
        XCTAssertEqual(try stickyRows(store), 4_000)
        let loaded = try service(store, stickyNamesPerPool: 300)
        XCTAssertEqual(loaded.snapshot().stickyCount(poolID: pool.id), 300)
        XCTAssertEqual(try stickyRows(store), 300)
        let perAddress = try store.queue.read {
            try Int.fetchOne($0, sql: "SELECT max(n) FROM (SELECT count(*) AS n FROM sticky GROUP BY pool_id, address)")
        }
        XCTAssertEqual(perAddress, 1)
    }

    func testServingMarkers() throws {
        let store = try StateStore(path: statePath)
        XCTAssertEqual(try store.beginServing(at: 100), StateStore.PreviousServer(startedAt: nil, stoppedCleanly: false))
        try store.recordCleanStop(at: 150)
        XCTAssertEqual(try store.beginServing(at: 200), StateStore.PreviousServer(startedAt: 100, stoppedCleanly: true))
        XCTAssertEqual(try store.beginServing(at: 300), StateStore.PreviousServer(startedAt: 200, stoppedCleanly: false),
                       "a start clears the clean-stop mark: the next start sees a crash unless this one stops cleanly")
    }

    func testRetryCandidatesAreTheNamedDynamicAllocationsSinceACut() throws {
        let store = try StateStore(path: statePath)
        let ipam = try service(store)
        let pool = try ipam.requestPool(.init(addressSpace: "LocalDefault", pool: "10.58.0.0/24"))
        _ = try ipam.requestAddress(.init(poolID: pool.id, options: [IPAMOptions.requestAddressType: IPAMOptions.gatewayRequest]))
        _ = try ipam.requestAddress(.init(poolID: pool.id))
        _ = try ipam.requestAddress(.init(poolID: pool.id, address: "10.58.0.77", options: web))
        _ = try ipam.requestAddress(.init(poolID: pool.id, options: web))
        let now = Int(Date().timeIntervalSince1970)
        let recent = try store.loadRetryCandidates(since: now - 60)
        XCTAssertEqual(recent.count, 2, "the pool and web's newest address (a name keeps its newest)")
        XCTAssertTrue(try store.loadRetryCandidates(since: now + 60).isEmpty)
    }

    func stickyRows(_ store: StateStore) throws -> Int {
        try store.queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sticky") ?? -1 }
    }
}

/// Unix seconds the test moves by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ value: Int) { self.value = value }
    var now: Int {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}
