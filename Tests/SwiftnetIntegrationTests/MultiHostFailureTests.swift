import Foundation
import SwiftnetTestSupport
import XCTest

/// Hosts and etcd failing under a multi-host network.
final class MultiHostFailureTests: MultiHostTestCase {
    /// kill -9 of a host's server: its lease runs out (TTL 3 s here) and its endpoints leave the
    /// other hosts' FDBs; a clean stop revokes the lease and they leave at once.
    func testARemovedHostsEntriesDisappearElsewhere() throws {
        let (h1, h2, h3) = (try addHost(), try addHost(), try addHost())
        let n1 = try createNetwork(on: h1, name: "red", subnet: "10.79.\(octet).0/24")
        let n2 = try createNetwork(on: h2, name: "red")
        let n3 = try createNetwork(on: h3, name: "red")
        let c1 = try addContainer(to: n1)
        let c2 = try addContainer(to: n2)
        let c3 = try addContainer(to: n3)
        XCTAssertNotNil(waitFor(seconds: 3) { forwardingMACs(n1) == Set([c2.mac, c3.mac].map { $0.lowercased() }) }, "\(forwardingMACs(n1))")
        XCTAssertTrue(ping(from: c1.namespace, c3.address))

        h3.server.kill9()
        let killed = Date()
        let gone = waitFor(seconds: Double(leaseTTL) + 5) { !forwardingMACs(n1).contains(c3.mac.lowercased()) }
        XCTAssertNotNil(gone, "h3's endpoint still in h1's FDB \(Date().timeIntervalSince(killed)) s after its server died")
        XCTAssertTrue(forwardingMACs(n1).contains(c2.mac.lowercased()), "h2's endpoint stays")
        print("FIGURE dead host: its endpoint left the other FDBs \(String(format: "%.1f", gone ?? -1)) s after kill -9 (lease TTL \(leaseTTL) s)")

        h2.server.terminate()
        let revoked = waitFor(seconds: 2) { !forwardingMACs(n1).contains(c2.mac.lowercased()) }
        XCTAssertNotNil(revoked, "a clean stop revokes the lease")
        XCTAssertLessThan(revoked ?? 99, 1.0)

        // Back: the restarted server rebuilds nothing by hand and publishes its endpoint again.
        try h3.restart()
        XCTAssertNotNil(waitFor(seconds: 3) { forwardingMACs(n1).contains(c3.mac.lowercased()) }, "h3's endpoint back after its restart")
        XCTAssertTrue(ping(from: c1.namespace, c3.address))
        XCTAssertTrue(ping(from: c3.namespace, c1.address))
    }

    /// etcd down: multi-host calls fail within 5 s naming etcd, local networks and running
    /// containers are unaffected; etcd back: new containers work with no step by hand.
    func testEtcdDownGivesClearErrorsTrafficFlowsAndEtcdBackConverges() throws {
        let (h1, h2) = (try addHost(), try addHost())
        let n1 = try createNetwork(on: h1, name: "green", subnet: "10.81.\(octet).0/24")
        let n2 = try createNetwork(on: h2, name: "green")
        let c1 = try addContainer(to: n1)
        let c2 = try addContainer(to: n2)
        XCTAssertNotNil(waitFor(seconds: 3) { ping(from: c1.namespace, c2.address) })

        // Frozen: connections open, nothing answers (a partition): bounded by the client's 3 s.
        etcd.freeze()
        var started = Date()
        let frozen = try h1.client.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(n1.poolID)","Address":"","Options":null}"#)
        let frozenSeconds = Date().timeIntervalSince(started)
        XCTAssertEqual(frozen.status, 500)
        XCTAssertTrue("\(frozen.object["Err"] ?? "")".hasPrefix("etcd"), "\(frozen.object)")
        XCTAssertLessThan(frozenSeconds, 5)
        XCTAssertTrue(ping(from: c1.namespace, c2.address))
        print("FIGURE etcd frozen: RequestAddress failed after \(String(format: "%.1f", frozenSeconds)) s: \(frozen.object["Err"] ?? "")")
        etcd.thaw()

        etcd.stop()
        started = Date()
        let address = try h1.client.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(n1.poolID)","Address":"","Options":null}"#)
        let addressSeconds = Date().timeIntervalSince(started)
        XCTAssertEqual(address.status, 500)
        XCTAssertTrue("\(address.object["Err"] ?? "")".hasPrefix("etcd"), "\(address.object)")
        XCTAssertLessThan(addressSeconds, 5)
        started = Date()
        let pool = try h2.client.call("/IpamDriver.RequestPool",
            #"{"AddressSpace":"LocalDefault","Options":{"swiftnet.network":"yellow"},"Pool":"","SubPool":"","V6":false}"#)
        let poolSeconds = Date().timeIntervalSince(started)
        XCTAssertEqual(pool.status, 500)
        XCTAssertTrue("\(pool.object["Err"] ?? "")".contains("etcd"), "\(pool.object)")
        XCTAssertLessThan(poolSeconds, 5)
        print("FIGURE etcd down: RequestAddress failed after \(String(format: "%.1f", addressSeconds)) s, RequestPool after "
              + "\(String(format: "%.1f", poolSeconds)) s: \(address.object["Err"] ?? "")")
        // Local networks do not wait for etcd.
        started = Date()
        let local = try h1.client.requestPool("10.82.\(octet).0/24")
        _ = try h1.client.requestAddress(pool: local.id)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        // Running containers keep talking.
        XCTAssertTrue(ping(from: c1.namespace, c2.address))
        XCTAssertTrue(ping(from: c2.namespace, c1.address))
        XCTAssertTrue(try doctorFindings(h1).contains("etcd-unreachable"))

        try etcd.start()
        let c3 = try addContainer(to: n2)
        XCTAssertNotNil(waitFor(seconds: 3) { ping(from: c1.namespace, c3.address) }, "a new container after etcd came back\n\(h1.server.log.suffix(2000))")
        XCTAssertTrue(ping(from: c1.namespace, c2.address))
        XCTAssertNotNil(waitFor(seconds: 3) { !((try? doctorFindings(h1)) ?? ["?"]).contains("etcd-unreachable") })
    }
}
