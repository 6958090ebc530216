import Foundation
import Synchronization
import XCTest
import SwiftnetEtcd
import SwiftnetAddress
@testable import SwiftnetMultiHost

/// A simulated host: its own etcd client, its lease, its allocator.
struct SimulatedHost {
    let name: String
    let underlay: IPAddress
    let etcd: EtcdClient
    let membership: HostMembership
    let allocator: AddressAllocator

    init(_ index: Int, server: EtcdEndpoint, ttl: Int64 = HostMembership.defaultTTLSeconds) throws {
        name = "h\(index)"
        underlay = IPAddress("10.99.0.\(index)")!
        etcd = EtcdClient(endpoints: [server], timeoutSeconds: 3)
        membership = try HostMembership(etcd: etcd, record: HostRecord(name: name, underlay: underlay), ttlSeconds: ttl)
        allocator = try AddressAllocator(etcd: etcd, host: name)
    }

    /// Claims an address and publishes where it is, as Join would.
    func join(_ network: LogicalNetwork, _ owner: String, mac last: UInt8) throws -> EndpointLocation {
        let claim = try allocator.allocate(in: network, owner: owner)
        let location = EndpointLocation(network: network.name, address: claim.address, mac: [2, 0, 0, 0, UInt8(underlay.bytes[3]), last],
                                        host: name, underlay: underlay, name: owner)
        try membership.publish(location)
        return location
    }
}

final class HostLivenessTests: EtcdTestCase {
    func testADeadHostsEndpointsAndHostRecordGoWhenItsLeaseRunsOutButItsAddressesStayUntilGC() throws {
        let etcd = client()
        let network = try NetworkRegistry(etcd: etcd).ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h1")
        try AddressAllocator(etcd: etcd, host: "h1").reserveGateway(of: network)
        let h1 = try SimulatedHost(1, server: server.endpoint, ttl: 2)
        let h2 = try SimulatedHost(2, server: server.endpoint, ttl: 2)
        h1.membership.start()
        h2.membership.start()
        defer { try? h1.membership.stop(); h2.membership.abandon() }
        let a = try h1.join(network, "ep-a", mac: 1)
        let b = try h2.join(network, "ep-b", mac: 2)
        _ = try h2.join(network, "ep-c", mac: 3)
        XCTAssertEqual(try HostMembership.liveHosts(etcd: etcd).map(\.name), ["h1", "h2"])
        XCTAssertEqual(try etcd.range(prefix: MultiHostKeys().allEndpoints).keyValues.count, 3)

        // Renewals keep both alive well past the TTL.
        sleep(3)
        XCTAssertEqual(try HostMembership.liveHosts(etcd: etcd).count, 2)

        // gc refuses a live host.
        XCTAssertThrowsError(try HostGarbageCollector(etcd: etcd).collect(node: "h2")) {
            XCTAssertEqual($0 as? MultiHostError, .hostAlive("h2"))
        }

        // h2 dies without a word.
        h2.membership.abandon()
        try eventually(8, "h2's lease to run out") { try HostMembership.liveHosts(etcd: etcd).map(\.name) == ["h1"] }
        let endpoints = try etcd.range(prefix: MultiHostKeys().allEndpoints).keyValues.map(\.key)
        XCTAssertEqual(endpoints, [MultiHostKeys().endpoint("blue", a.address)])
        XCTAssertEqual(try h1.allocator.claims(in: "blue").count, 4, "addresses do not hang on the lease")

        let dry = try HostGarbageCollector(etcd: etcd).collect(node: "h2", dryRun: true)
        XCTAssertEqual(Set(dry.freed.map(\.owner)), ["ep-b", "ep-c"])
        XCTAssertEqual(try h1.allocator.claims(in: "blue").count, 4)
        let report = try HostGarbageCollector(etcd: etcd).collect(node: "h2")
        XCTAssertEqual(Set(report.freed.map(\.owner)), ["ep-b", "ep-c"])
        XCTAssertEqual(Set(try h1.allocator.claims(in: "blue").map(\.owner)), ["gateway", "ep-a"])
        XCTAssertNil(try h1.allocator.holder(of: b.address, in: "blue"))
        XCTAssertEqual(try HostGarbageCollector(etcd: etcd).collect(node: "h2").freed, [], "a second run frees nothing")
    }

    func testALostLeaseIsReplacedAndEverythingPublishedIsWrittenAgainWithoutAStepByHand() throws {
        let etcd = client()
        let network = try NetworkRegistry(etcd: etcd).ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h1")
        let h1 = try SimulatedHost(1, server: server.endpoint, ttl: 3)
        h1.membership.start()
        defer { try? h1.membership.stop() }
        let a = try h1.join(network, "ep-a", mac: 1)
        let firstLease = try XCTUnwrap(h1.membership.status.lease)

        // Someone revokes it (as expiry during a long etcd outage would): keys gone.
        try etcd.revoke(lease: firstLease)
        XCTAssertEqual(try etcd.range(prefix: MultiHostKeys().allEndpoints).keyValues.count, 0)
        try eventually(5, "a new lease with the endpoint written again") {
            let endpoint = try etcd.get(MultiHostKeys().endpoint("blue", a.address))
            let host = try etcd.get(MultiHostKeys().host("h1"))
            return h1.membership.status.leasesGranted == 2 && endpoint?.lease == h1.membership.status.lease && host != nil
        }

        // etcd down: publishing fails with an error naming etcd but is remembered; once etcd
        // is back the renewal loop writes it.
        server.stop()
        let started = Date()
        let late = EndpointLocation(network: "blue", address: IPAddress("10.70.9.9")!, mac: [2, 0, 0, 0, 1, 9],
                                    host: "h1", underlay: h1.underlay)
        XCTAssertThrowsError(try h1.membership.publish(late)) { XCTAssertTrue("\($0)".hasPrefix("etcd unreachable"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        try eventually(6, "the renewal loop to notice etcd is down") { h1.membership.status.lastError != nil }
        try server.start()
        try eventually(8, "the late endpoint written once etcd is back") {
            (try? etcd.get(MultiHostKeys().endpoint("blue", late.address))) != nil && h1.membership.status.lastError == nil
        }
        try h1.membership.withdraw(network: "blue", address: late.address)
        XCTAssertNil(try etcd.get(MultiHostKeys().endpoint("blue", late.address)))
    }
}

final class RemoteEndpointWatcherTests: EtcdTestCase {
    /// Collects what a watcher hands over, and replays it onto a set: what a dataplane that
    /// applies every change would hold.
    final class Applied: Sendable {
        let state = Mutex<(set: Set<EndpointLocation>, log: [RemoteEndpointChange], duplicates: [String])>(([], [], []))

        func apply(_ changes: [RemoteEndpointChange]) {
            state.withLock { state in
                for change in changes {
                    state.log.append(change)
                    switch change {
                    case .added(let location):
                        if !state.set.insert(location).inserted { state.duplicates.append("added twice: \(location)") }
                    case .removed(let location):
                        if state.set.remove(location) == nil { state.duplicates.append("removed absent: \(location)") }
                    }
                }
            }
        }

        var set: Set<EndpointLocation> { state.withLock { $0.set } }
        var duplicates: [String] { state.withLock { $0.duplicates } }
    }

    func testWatcherFollowsRemoteJoinsAndLeavesAcrossBrokenWatchesCompactionAndAnEtcdRestart() throws {
        let etcd = client()
        let network = try NetworkRegistry(etcd: etcd).ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h1")
        let hosts = try (1...3).map { try SimulatedHost($0, server: server.endpoint, ttl: 3) }
        for host in hosts { host.membership.start() }
        defer { for host in hosts { try? host.membership.stop() } }

        // Present before the watcher starts: the full read brings them.
        let early = try hosts[1].join(network, "early", mac: 1)
        _ = try hosts[0].join(network, "own", mac: 1)
        let applied = Applied()
        let watcher = RemoteEndpointWatcher(etcd: client(), localHost: "h1") { applied.apply($0) }
        watcher.start()
        defer { watcher.stop() }
        try eventually(3, "the early endpoint") { applied.set == [early] }

        // A remote join shows within a second; own endpoints never.
        var joined = Date()
        let b = try hosts[2].join(network, "b", mac: 2)
        try eventually(1, "h3's join") { applied.set == [early, b] }
        print(String(format: "multihost: remote join to change handed over: %.1f ms", Date().timeIntervalSince(joined) * 1000))
        let c = try hosts[1].join(network, "c", mac: 3)
        try eventually(1, "h2's second join") { applied.set == [early, b, c] }
        try hosts[1].membership.withdraw(network: "blue", address: early.address)
        try eventually(1, "h2's leave") { applied.set == [b, c] }

        // Names for DNS: every host's, this one's ("own") included.
        XCTAssertEqual(Set(watcher.names(of: "blue").keys), ["own", "b", "c"])
        XCTAssertEqual(watcher.names(of: "blue")["b"], [b.address])

        // The watch breaks; changes made meanwhile arrive once it resumes from its revision.
        watcher.interruptWatch()
        let d = try hosts[2].join(network, "d", mac: 4)
        try hosts[2].membership.withdraw(network: "blue", address: b.address)
        try eventually(3, "the changes made while the watch was broken") { applied.set == [c, d] }
        XCTAssertGreaterThanOrEqual(watcher.resumes, 1)
        XCTAssertEqual(watcher.resyncs, 0)

        // History compacted away while the watch is broken: a full read, and only the difference.
        watcher.interruptWatch()
        try hosts[1].membership.withdraw(network: "blue", address: c.address)
        let e = try hosts[1].join(network, "e", mac: 5)
        try etcd.compact(revision: try etcd.put("/swiftnet-test/bump", "x"))
        try eventually(5, "the state after compaction") { applied.set == [d, e] }
        XCTAssertEqual(watcher.resyncs, 1, "compacted history means one full read")

        // etcd restarts: the watcher comes back by itself.
        server.stop()
        try eventually(5, "the watcher to notice") { watcher.lastError != nil }
        try server.start()
        joined = Date()
        let f = try hosts[2].join(network, "f", mac: 6)
        try eventually(5, "a join after the restart") { applied.set == [d, e, f] }

        // A host that dies leaves everyone's set when its lease runs out.
        hosts[2].membership.abandon()
        try eventually(8, "h3's endpoints gone with its lease") { applied.set == [e] }
        XCTAssertEqual(applied.duplicates, [], "every change applies cleanly to what came before")
        XCTAssertEqual(Set(watcher.entries), applied.set)
    }
}
