import Foundation
import SwiftnetMultiHost
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
        // Its addresses hang on no lease: freed only by gc --node, refused for a live host.
        let live = Shell.run(ServerProcess.binary, ["gc", "--node", h1.name, "--etcd-endpoints", etcd.url])
        XCTAssertFalse(live.succeeded)
        XCTAssertTrue(live.error.hasPrefix("swiftnet: error: gc --node h1: ") && live.error.contains("host h1 is alive"), live.both)
        let dry = Shell.run(ServerProcess.binary, ["gc", "--node", h2.name, "--etcd-endpoints", etcd.url, "--dry-run"])
        XCTAssertTrue(dry.succeeded && dry.output.contains("would free 1 address(es)") && dry.output.contains("red/\(c2.address)"), dry.both)
        let freed = Shell.run(ServerProcess.binary, ["gc", "--node", h2.name, "--etcd-endpoints", etcd.url])
        XCTAssertTrue(freed.succeeded && freed.output.contains("freed 1 address(es)"), freed.both)
        let claims = try AddressAllocator(etcd: etcdClient(), host: "test").claims(in: "red")
        XCTAssertEqual(claims.filter { $0.host == h2.name }.count, 0)
        XCTAssertEqual(claims.filter { $0.host == h1.name }.map(\.address.description), [c1.address])

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
        // A server restarted while etcd is down keeps its host's entries (it has no view of
        // etcd to resync them against) past its resync period.
        h1.server.terminate()
        try h1.restart()
        usleep(6_500_000)
        XCTAssertEqual(forwardingMACs(n1), [c2.mac.lowercased()], "h1's entries after its restart without etcd")
        XCTAssertTrue(ping(from: c1.namespace, c2.address))

        try etcd.start()
        let c3 = try addContainer(to: n2)
        XCTAssertNotNil(waitFor(seconds: 3) { ping(from: c1.namespace, c3.address) }, "a new container after etcd came back\n\(h1.server.log.suffix(2000))")
        XCTAssertTrue(ping(from: c1.namespace, c2.address))
        XCTAssertNotNil(waitFor(seconds: 3) { !((try? doctorFindings(h1)) ?? ["?"]).contains("etcd-unreachable") })
    }

    /// A host whose links are gone (as after a reboot) gets its bridge, VXLAN device, veths
    /// and remote entries back at its server's start, and its endpoints published again.
    func testStartUpRebuildsTheBridgeAndVXLANAndResyncsEntries() throws {
        let (h1, h2) = (try addHost(), try addHost())
        let n1 = try createNetwork(on: h1, name: "rebuild", subnet: "10.87.\(octet).0/24")
        let n2 = try createNetwork(on: h2, name: "rebuild")
        let c1 = try addContainer(to: n1)
        let c2 = try addContainer(to: n2)
        XCTAssertNotNil(waitFor(seconds: 3) { ping(from: c1.namespace, c2.address) })

        h2.server.kill9()
        try sh(inHost(h2, "/usr/sbin/ip", "link", "del", n2.vxlan))
        try sh(inHost(h2, "/usr/sbin/ip", "link", "del", n2.bridge))
        XCTAssertFalse(ping(from: c2.namespace, c1.address))
        try h2.restart()
        let vxlan = inHost(h2, "/usr/sbin/ip", "-d", "link", "show", n2.vxlan)
        XCTAssertTrue(vxlan.succeeded && vxlan.output.contains("master \(n2.bridge)"), vxlan.both)
        XCTAssertNotNil(waitFor(seconds: 3) { forwardingMACs(n2).contains(c1.mac.lowercased()) }, "h1's endpoint back in h2's FDB")
        XCTAssertNotNil(waitFor(seconds: 3) { ping(from: c2.namespace, c1.address) }, h2.server.log.suffix(3000).description)
        XCTAssertTrue(ping(from: c1.namespace, c2.address))
        XCTAssertTrue(ping(from: c2.namespace, n2.gateway))
        XCTAssertTrue(h2.server.log.contains("created VXLAN \(n2.vxlan)"), h2.server.log.suffix(3000).description)
    }

    /// `-o swiftnet.network=NAME` on a pool of the host's own IPAM: the same subnet joins the
    /// logical network, another one is refused naming the one it has.
    func testTheDriverOptionJoinsByNameAndAnotherSubnetIsRefused() throws {
        let (h1, h2) = (try addHost(), try addHost())
        let n1 = try createNetwork(on: h1, name: "byname", subnet: "10.88.\(octet).0/24")
        func create(subnet: String) throws -> (Int, String, String) {
            let pool = try h2.client.requestPool(subnet)
            let gateway = try h2.client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
            let id = Shell.randomHex(64)
            let (status, object) = try h2.client.call("/NetworkDriver.CreateNetwork",
                #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(pool.pool)"}],"IPv6Data":[],"NetworkID":"\#(id)","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":{"swiftnet.network":"byname"}}}"#)
            return (status, "\(object["Err"] ?? "")", id)
        }
        let refused = try create(subnet: "10.89.\(octet).0/24")
        XCTAssertEqual(refused.0, 500)
        XCTAssertTrue(refused.1.contains("exists with subnet \(n1.subnet)"), refused.1)
        XCTAssertFalse(inHost(h2, "/usr/sbin/ip", "link", "show", "swx-" + refused.2.prefix(10)).succeeded, "nothing made")
        let joined = try create(subnet: n1.subnet)
        XCTAssertEqual(joined.0, 200, joined.1)
        XCTAssertTrue(inHost(h2, "/usr/sbin/ip", "-d", "link", "show", "swx-" + joined.2.prefix(10)).output.contains("vxlan id"))
    }
}
