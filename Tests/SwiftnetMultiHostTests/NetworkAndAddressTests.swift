import Foundation
import Synchronization
import XCTest
import SwiftnetEtcd
import SwiftnetAddress
@testable import SwiftnetMultiHost

final class NetworkRegistryTests: EtcdTestCase {
    func testFirstHostCreatesOthersGetTheSameAndADifferentSubnetIsRefusedWithTheExistingOne() throws {
        let h1 = NetworkRegistry(etcd: client())
        let h2 = NetworkRegistry(etcd: client())
        let blue = try h1.ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h1")
        XCTAssertEqual(try h2.ensure(name: "blue", subnet: nil, host: "h2"), blue)
        XCTAssertEqual(try h2.ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h2"), blue)
        XCTAssertEqual(blue.createdBy, "h1")
        XCTAssertThrowsError(try h2.ensure(name: "blue", subnet: IPPrefix("10.80.0.0/16"), host: "h2")) { error in
            XCTAssertEqual("\(error)", "multi-host network blue exists with subnet 10.70.0.0/16; 10.80.0.0/16 was asked for (create it with --subnet 10.70.0.0/16 or none)")
        }
        XCTAssertThrowsError(try h2.ensure(name: "red", subnet: IPPrefix("10.70.5.0/24"), host: "h2")) {
            XCTAssertTrue("\($0)".contains("overlaps multi-host network blue"), "\($0)")
        }
        XCTAssertNil(try h2.network(named: "red"), "a refused network is not created")
        XCTAssertEqual(try h2.network(named: "blue"), blue)
    }

    /// Another network's unreadable record (a hand-made key) stops only new networks, whose
    /// subnet and VNI cannot be checked against it; hosts keep joining existing ones. A
    /// size-only `0.0.0.0/N` joins an existing network of that size.
    func testAnUnreadableRecordDoesNotStopHostsJoiningOtherNetworks() throws {
        let registry = NetworkRegistry(etcd: client())
        let blue = try registry.ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h1")
        _ = try client().put(MultiHostKeys().network("bad"),
                             #"{"name":"bad","subnet":"10.97.0.0/24","gateway":"10.97.0.1","vni":0,"createdBy":"x"}"#)
        XCTAssertEqual(try registry.ensure(name: "blue", subnet: nil, host: "h2"), blue)
        XCTAssertEqual(try registry.ensure(name: "blue", subnet: IPPrefix("0.0.0.0/16"), host: "h2"), blue)
        XCTAssertThrowsError(try registry.ensure(name: "blue", subnet: IPPrefix("0.0.0.0/24"), host: "h2")) {
            XCTAssertTrue("\($0)".contains("exists with subnet 10.70.0.0/16"), "\($0)")
        }
        XCTAssertThrowsError(try registry.ensure(name: "green", subnet: nil, host: "h2")) {
            XCTAssertTrue("\($0)".contains("/swiftnet/v1/nets/bad"), "names the record in the way: \($0)")
        }
    }

    func testHostsCreatingAtOnceAgreeOnEachNetworkAndNeverShareASubnetOrVNI() throws {
        let names = (0..<8).map { "net\($0)" }
        let results = Mutex<[String: [LogicalNetwork]]>([:])
        let failures = Mutex<[String]>([])
        let clients = (0..<3).map { _ in client() }
        DispatchQueue.concurrentPerform(iterations: 3 * names.count) { index in
            let host = index % 3
            let name = names[(index / 3 + host) % names.count]
            do {
                let network = try NetworkRegistry(etcd: clients[host]).ensure(name: name, subnet: nil, host: "h\(host)")
                results.withLock { $0[name, default: []].append(network) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        XCTAssertEqual(failures.withLock { $0 }, [])
        let byName = results.withLock { $0 }
        XCTAssertEqual(Set(byName.keys), Set(names))
        for (name, seen) in byName { XCTAssertEqual(Set(seen.map(\.subnet)).count, 1, "\(name): \(seen)") }
        let (stored, _) = try NetworkRegistry(etcd: client()).all()
        XCTAssertEqual(stored.count, names.count)
        XCTAssertEqual(Set(stored.map(\.vni)).count, names.count)
        for (i, a) in stored.enumerated() {
            XCTAssertEqual(byName[a.name]?.first, a)
            for b in stored[(i + 1)...] { XCTAssertFalse(a.subnet.overlaps(b.subnet), "\(a.name) \(a.subnet) / \(b.name) \(b.subnet)") }
        }
    }
}

final class AddressAllocatorTests: EtcdTestCase {
    func blue(_ etcd: EtcdClient) throws -> LogicalNetwork {
        let network = try NetworkRegistry(etcd: etcd).ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h0")
        try AddressAllocator(etcd: etcd, host: "h0").reserveGateway(of: network)
        return network
    }

    func testThreeHostsClaimingTwoHundredAddressesEachAtOnceGetSixHundredDistinctOnes() throws {
        let network = try blue(client())
        // A generous bound per call: 600 calls queue at one etcd on a shared machine.
        let allocators = try (1...3).map { try AddressAllocator(etcd: client(timeout: 20), host: "h\($0)") }
        let claims = Mutex<[AddressClaim]>([])
        let failures = Mutex<[String]>([])
        let latencies = Mutex<[Double]>([])
        let start = Date()
        Self.onThreads(600) { index in
            let allocator = allocators[index % 3]
            let began = DispatchTime.now().uptimeNanoseconds
            do {
                let claim = try allocator.allocate(in: network, owner: "ep\(index)")
                claims.withLock { $0.append(claim) }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
            latencies.withLock { $0.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6) }
        }
        let elapsed = Date().timeIntervalSince(start)
        let sorted = latencies.withLock { $0 }.sorted()
        XCTAssertEqual(failures.withLock { $0 }, [])
        let got = claims.withLock { $0 }
        XCTAssertEqual(got.count, 600)
        XCTAssertEqual(Set(got.map(\.address)).count, 600, "an address was handed out twice")
        XCTAssertTrue(got.allSatisfy { network.subnet.contains($0.address) && !network.isReserved($0.address) })

        // etcd holds exactly those, each with the host and owner that got it.
        let stored = try allocators[0].claims(in: "blue")
        XCTAssertEqual(stored.count, 601, "600 claims and the gateway")
        let byAddress = Dictionary(uniqueKeysWithValues: stored.map { ($0.address, $0) })
        for claim in got {
            XCTAssertEqual(byAddress[claim.address]?.owner, claim.owner)
            XCTAssertEqual(byAddress[claim.address]?.host, claim.host)
        }
        XCTAssertEqual(byAddress[network.gateway]?.owner, "gateway")
        print(String(format: "multihost: 3 hosts x 200 concurrent claims (600 threads): 600 distinct in %.2f s; per claim p50 %.0f ms, p99 %.0f ms; highest %@",
                     elapsed, Self.percentile(sorted, 0.5), Self.percentile(sorted, 0.99), got.map(\.address).max()!.description))
    }

    func testAPreferredAddressIsClaimedOnceAndTheRefusalNamesTheHolderAndHost() throws {
        let network = try blue(client())
        let h1 = try AddressAllocator(etcd: client(), host: "h1")
        let h2 = try AddressAllocator(etcd: client(), host: "h2")
        let wanted = IPAddress("10.70.3.7")!
        XCTAssertEqual(try h1.allocate(in: network, owner: "ep-a", preferred: wanted).address, wanted)
        XCTAssertThrowsError(try h2.allocate(in: network, owner: "ep-b", preferred: wanted)) {
            XCTAssertEqual("\($0)", "10.70.3.7 in multi-host network blue is held by ep-a on host h1")
        }
        XCTAssertThrowsError(try h2.allocate(in: network, owner: "ep-b", preferred: network.gateway)) {
            XCTAssertTrue("\($0)".contains("reserved"), "\($0)")
        }
        XCTAssertThrowsError(try h2.allocate(in: network, owner: "ep-b", preferred: IPAddress("10.71.0.5")!))

        // Only the holder releases; then anyone may claim it.
        XCTAssertThrowsError(try h2.release(wanted, in: "blue", owner: "ep-a")) { XCTAssertTrue("\($0)".contains("not by the caller")) }
        XCTAssertThrowsError(try h1.release(wanted, in: "blue", owner: "ep-x"))
        XCTAssertTrue(try h1.release(wanted, in: "blue", owner: "ep-a"))
        XCTAssertFalse(try h1.release(wanted, in: "blue", owner: "ep-a"))
        XCTAssertEqual(try h2.allocate(in: network, owner: "ep-b", preferred: wanted).host, "h2")
    }

    func testAFullNetworkSaysSo() throws {
        let etcd = client()
        let tiny = try NetworkRegistry(etcd: etcd).ensure(name: "tiny", subnet: IPPrefix("10.72.0.0/29"), host: "h1")
        let allocator = try AddressAllocator(etcd: etcd, host: "h1")
        let addresses = try (0..<5).map { try allocator.allocate(in: tiny, owner: "ep\($0)").address }
        XCTAssertEqual(Set(addresses), Set((2...6).map { IPAddress("10.72.0.\($0)")! }))
        XCTAssertThrowsError(try allocator.allocate(in: tiny, owner: "one-more")) {
            XCTAssertEqual("\($0)", "no free address in multi-host network tiny (10.72.0.0/29)")
        }
    }

    func testWithEtcdStoppedClaimsFailWithinFiveSecondsNamingEtcdAndWorkAgainOnceItIsBack() throws {
        let etcd = client()
        let network = try blue(etcd)
        let allocator = try AddressAllocator(etcd: etcd, host: "h1")
        let before = try allocator.allocate(in: network, owner: "before")

        server.stop()
        var started = Date()
        XCTAssertThrowsError(try allocator.allocate(in: network, owner: "during")) { error in
            XCTAssertTrue("\(error)".hasPrefix("etcd unreachable"), "\(error)")
            XCTAssertTrue("\(error)".contains(server.url), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertThrowsError(try NetworkRegistry(etcd: etcd).ensure(name: "red", subnet: nil, host: "h1")) {
            XCTAssertTrue("\($0)".hasPrefix("etcd unreachable"), "\($0)")
        }

        // Frozen rather than gone: the call's own deadline still ends it.
        try server.start()
        server.freeze()
        started = Date()
        XCTAssertThrowsError(try allocator.allocate(in: network, owner: "frozen")) { XCTAssertTrue("\($0)".contains("etcd"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        server.thaw()

        let after = try allocator.allocate(in: network, owner: "after")
        XCTAssertNotEqual(after.address, before.address)
        XCTAssertEqual(try allocator.holder(of: before.address, in: "blue")?.owner, "before", "claims survive an etcd restart")
        XCTAssertEqual(try allocator.claims(in: "blue").map(\.owner).sorted(), ["after", "before", "gateway"])
    }

    /// Not an assertion on time: the figures for the report (RequestAddress's share).
    func testClaimLatencyNextToNoClaim() throws {
        let etcd = client()
        let network = try blue(etcd)
        let allocator = try AddressAllocator(etcd: etcd, host: "h1")
        var claim: [Double] = []
        var release: [Double] = []
        var nothing: [Double] = []
        var read: [Double] = []
        for index in 0..<300 {
            let began = DispatchTime.now().uptimeNanoseconds
            _ = try etcd.get("/swiftnet-test/nothing")
            read.append(Double(DispatchTime.now().uptimeNanoseconds - began) / 1e6)
            var start = DispatchTime.now().uptimeNanoseconds
            let got = try allocator.allocate(in: network, owner: "ep\(index)")
            claim.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if index % 2 == 0 {
                start = DispatchTime.now().uptimeNanoseconds
                try allocator.release(got.address, in: "blue", owner: "ep\(index)")
                release.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            start = DispatchTime.now().uptimeNanoseconds
            nothing.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        for (name, values) in [("claim (etcd)", claim), ("release (etcd)", release), ("one etcd read", read), ("no claim", nothing)] {
            let sorted = values.sorted()
            print(String(format: "multihost latency %@: p50 %.3f ms, p99 %.3f ms", name,
                         Self.percentile(sorted, 0.5), Self.percentile(sorted, 0.99)))
        }
    }
}
