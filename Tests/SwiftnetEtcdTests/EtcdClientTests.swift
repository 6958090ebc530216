import Foundation
import Synchronization
import XCTest
import SwiftnetEtcd
import SwiftnetEtcdFixture

/// Against a real etcd (Debian's etcd-server) on loopback, started per test and killed in
/// tearDown even when an assertion fails.
final class EtcdClientTests: XCTestCase {
    var server: EtcdServer!
    var client: EtcdClient!

    override func setUpWithError() throws {
        try XCTSkipUnless(EtcdServer.isInstalled, "etcd-server is not installed (install/deps.sh --test)")
        server = try EtcdServer()
        client = EtcdClient(endpoints: [server.endpoint], timeoutSeconds: 3)
    }

    override func tearDown() {
        server?.thaw()
        server?.stop()
        server = nil
    }

    func testPutGetRangeByPrefixAndDelete() throws {
        let first = try client.put("/t/a", "one")
        try client.put("/t/b", "två ✓")
        try client.put("/u/c", "other")
        XCTAssertGreaterThan(first, 0)

        let a = try XCTUnwrap(try client.get("/t/a"))
        XCTAssertEqual(a.value, "one")
        XCTAssertEqual(a.version, 1)
        XCTAssertEqual(a.modRevision, first)
        XCTAssertNil(try client.get("/t/missing"))

        let range = try client.range(prefix: "/t/")
        XCTAssertEqual(range.keyValues.map(\.key), ["/t/a", "/t/b"])
        XCTAssertEqual(range.keyValues.map(\.value), ["one", "två ✓"])
        XCTAssertEqual(range.count, 2)
        XCTAssertGreaterThanOrEqual(range.revision, first + 1)
        let keysOnly = try client.range(prefix: "/t/", keysOnly: true)
        XCTAssertEqual(keysOnly.keyValues.map(\.value), ["", ""])

        XCTAssertEqual(try client.deleteRange("/t/", rangeEnd: EtcdKeyRange.end(ofPrefix: "/t/")), 2)
        XCTAssertEqual(try client.range(prefix: "/t/").keyValues, [])
        XCTAssertEqual(try client.get("/u/c")?.value, "other")
    }

    func testCreateIfAbsentTransactionHasOneWinnerAndShowsTheHolder() throws {
        let key = "/t/claim"
        let won = try client.txn([.absent(key)], success: [.put(key: key, value: "host-1")], failure: [.range(key: key)])
        XCTAssertTrue(won.succeeded)
        XCTAssertEqual(won.responses, [.put])

        let lost = try client.txn([.absent(key)], success: [.put(key: key, value: "host-2")], failure: [.range(key: key)])
        XCTAssertFalse(lost.succeeded)
        XCTAssertEqual(lost.responses.first?.keyValues.first?.value, "host-1")

        // Delete only the version we read: a stale revision changes nothing.
        let current = try XCTUnwrap(try client.get(key))
        let stale = try client.txn([EtcdCompare(key: key, .modRevision(current.modRevision - 1))], success: [.deleteRange(key: key)])
        XCTAssertFalse(stale.succeeded)
        XCTAssertNotNil(try client.get(key))
        let deleted = try client.txn([EtcdCompare(key: key, .modRevision(current.modRevision))], success: [.deleteRange(key: key)])
        XCTAssertTrue(deleted.succeeded)
        XCTAssertEqual(deleted.responses, [.deleteRange(deleted: 1)])
        XCTAssertNil(try client.get(key))
    }

    func testConcurrentCreateIfAbsentFromManyThreadsHasExactlyOneWinnerPerKey() throws {
        let winners = Mutex<[String: Int]>([:])
        let client = self.client!
        DispatchQueue.concurrentPerform(iterations: 64) { worker in
            for key in 0..<10 {
                let result = try? client.txn([.absent("/race/\(key)")], success: [.put(key: "/race/\(key)", value: "w\(worker)")])
                if result?.succeeded == true { winners.withLock { $0["/race/\(key)", default: 0] += 1 } }
            }
        }
        XCTAssertEqual(winners.withLock { $0 }, Dictionary(uniqueKeysWithValues: (0..<10).map { ("/race/\($0)", 1) }))
    }

    func testLeaseKeepsKeysUntilRevokedAndExpiresWithoutKeepalive() throws {
        let lease = try client.grantLease(ttlSeconds: 10)
        XCTAssertEqual(lease.ttl, 10)
        try client.put("/t/leased", "x", lease: lease.id)
        XCTAssertEqual(try client.get("/t/leased")?.lease, lease.id)
        XCTAssertEqual(try client.keepAlive(lease: lease.id), 10)
        try client.revoke(lease: lease.id)
        XCTAssertNil(try client.get("/t/leased"), "revoking a lease deletes its keys")
        XCTAssertEqual(try client.keepAlive(lease: lease.id), 0, "a gone lease renews to TTL 0")
        try client.revoke(lease: lease.id)

        let short = try client.grantLease(ttlSeconds: 2)
        try client.put("/t/short", "x", lease: short.id)
        let start = Date()
        while try client.get("/t/short") != nil {
            XCTAssertLessThan(Date().timeIntervalSince(start), 10, "the key outlived its lease")
            if Date().timeIntervalSince(start) > 10 { break }
            usleep(200_000)
        }
        XCTAssertThrowsError(try client.put("/t/x", "y", lease: short.id)) { error in
            XCTAssertTrue("\(error)".contains("lease not found"), "\(error)")
        }
    }

    func testWatchStreamsPutsAndDeletesFromARevisionAndReportsCompaction() throws {
        let before = try client.put("/w/a", "1")
        try client.put("/w/b", "2")
        try client.deleteRange("/w/a")
        try client.put("/other", "x")

        let watch = try EtcdWatch(client: client, key: "/w/", rangeEnd: EtcdKeyRange.end(ofPrefix: "/w/"), startRevision: before)
        var events: [EtcdWatchEvent] = []
        let start = Date()
        while events.count < 4, Date().timeIntervalSince(start) < 5 {
            if events.count == 3 { try client.put("/w/c", "3") }
            guard let response = try watch.next(timeoutSeconds: 1) else { continue }
            events += response.events
        }
        XCTAssertEqual(events.map(\.kind), [.put, .put, .delete, .put])
        XCTAssertEqual(events.map(\.keyValue.key), ["/w/a", "/w/b", "/w/a", "/w/c"])
        XCTAssertEqual(events.map(\.keyValue.value), ["1", "2", "", "3"])
        watch.cancel()
        XCTAssertThrowsError(try watch.next(timeoutSeconds: 2)) { XCTAssertTrue("\($0)".contains("etcd watch ended"), "\($0)") }

        // History before a compaction cannot be replayed: etcd cancels with the compact revision.
        let now = try client.put("/w/d", "4")
        try client.compact(revision: now)
        let old = try EtcdWatch(client: client, key: "/w/", rangeEnd: EtcdKeyRange.end(ofPrefix: "/w/"), startRevision: before)
        var cancelled: EtcdWatchResponse?
        for _ in 0..<5 {
            if let response = try old.next(timeoutSeconds: 1), response.canceled { cancelled = response; break }
        }
        XCTAssertEqual(cancelled?.compactRevision, now)
        old.cancel()
    }

    func testWatchEndsWithAnErrorWhenEtcdDies() throws {
        let watch = try EtcdWatch(client: client, key: "/w/", rangeEnd: EtcdKeyRange.end(ofPrefix: "/w/"), startRevision: 0)
        _ = try watch.next(timeoutSeconds: 2)  // created
        server.stop()
        XCTAssertThrowsError(try watch.next(timeoutSeconds: 5)) { XCTAssertTrue("\($0)".contains("etcd watch ended"), "\($0)") }
    }

    func testFailsOverToTheNextEndpointAndRemembersTheOneThatAnswered() throws {
        let deadPort = try EtcdServer.freePort()
        let dead = EtcdEndpoint(host: "127.0.0.1", port: deadPort)
        let failover = EtcdClient(endpoints: [dead, server.endpoint], timeoutSeconds: 3)
        try failover.put("/f/a", "1")
        XCTAssertEqual(try failover.get("/f/a")?.value, "1")
        let watch = try EtcdWatch(client: failover, key: "/f/a", rangeEnd: nil, startRevision: 1)
        XCTAssertEqual(watch.endpoint, server.endpoint)
        watch.cancel()
    }

    func testStoppedOrFrozenEtcdFailsWithinFiveSecondsNamingEtcdAndWorksAgainOnceBack() throws {
        try client.put("/s/a", "1")  // a kept-alive connection now exists

        server.stop()
        var started = Date()
        XCTAssertThrowsError(try client.put("/s/b", "2")) { error in
            XCTAssertTrue("\(error)".hasPrefix("etcd unreachable"), "\(error)")
            XCTAssertTrue("\(error)".contains(server.url), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)

        try server.start()
        XCTAssertEqual(try client.get("/s/a")?.value, "1", "the same client works again once etcd is back")

        // Frozen: the kernel accepts, nobody answers; the call's own deadline ends it.
        server.freeze()
        started = Date()
        XCTAssertThrowsError(try client.put("/s/c", "3")) { error in
            XCTAssertTrue("\(error)".contains("etcd unreachable"), "\(error)")
            XCTAssertTrue("\(error)".contains("timed out"), "\(error)")
        }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertLessThan(elapsed, 5)
        XCTAssertGreaterThanOrEqual(elapsed, 2.5, "bounded by the 3 s timeout, not failing early")
        server.thaw()
        try client.put("/s/c", "3")
        XCTAssertEqual(try client.get("/s/c")?.value, "3")
    }

    func testAKeptConnectionThatEtcdClosedIsReplacedWithoutAnError() throws {
        try client.put("/k/a", "1")  // leaves a kept-alive connection in the pool
        server.stop()
        try server.start()
        XCTAssertEqual(try client.get("/k/a")?.value, "1", "the first call after a restart succeeds")
    }

    func testAnErrorAnswerFromEtcdIsNotRetriedElsewhereAndSaysWhatEtcdSaid() throws {
        let other = try EtcdServer()
        defer { other.stop() }
        let both = EtcdClient(endpoints: [server.endpoint, other.endpoint], timeoutSeconds: 3)
        XCTAssertThrowsError(try both.put("/e", "x", lease: 12345)) { error in
            guard case EtcdError.server(let endpoint, _, let code, let message) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(endpoint, server.url)
            XCTAssertEqual(code, 5)
            XCTAssertTrue(message.contains("lease not found"))
        }
        XCTAssertNil(try EtcdClient(endpoints: [other.endpoint]).get("/e"))
    }
}
