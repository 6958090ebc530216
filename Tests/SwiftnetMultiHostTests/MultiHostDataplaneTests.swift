import Foundation
import Synchronization
import XCTest
import SwiftnetAddress
import SwiftnetEtcd
import SwiftnetKernel
@testable import SwiftnetMultiHost

/// The three parts together, as a multi-host mode would join them: three "hosts" (namespaces on
/// an underlay bridge), each with a bridge carrying the shared gateway address and a VXLAN
/// device, a lease and a watcher; the watcher's changes programmed into the host's VXLAN
/// device. "Containers" are namespaces given an address claimed in etcd. etcd runs on loopback
/// in the test's own namespace (the watchers and leases talk to it from there).
final class MultiHostDataplaneTests: EtcdTestCase {
    let hosts = NamespaceHosts()
    var memberships: [HostMembership] = []
    var watchers: [RemoteEndpointWatcher] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "namespace tests need root")
        try super.setUpWithError()
    }

    override func tearDown() {
        for watcher in watchers { watcher.stop() }
        for membership in memberships { membership.abandon() }
        hosts.deleteAll()
        super.tearDown()
    }

    struct Host {
        let index: Int
        let namespace: String
        let underlay: IPAddress
        let membership: HostMembership
        let allocator: AddressAllocator
        let watcher: RemoteEndpointWatcher
    }

    struct Container {
        let namespace: String
        let location: EndpointLocation
        /// When its location was handed to etcd (DispatchTime nanoseconds).
        let publishedAt: UInt64
    }

    /// Applies watcher changes for `network` to `vx0` in `namespace`; records failures.
    final class Programmer: Sendable {
        let namespace: String
        let network: String
        let failures = Mutex<[String]>([])

        init(namespace: String, network: String) {
            self.namespace = namespace
            self.network = network
        }

        func apply(_ changes: [RemoteEndpointChange]) {
            let mine = changes.filter {
                switch $0 { case .added(let l), .removed(let l): return l.network == network }
            }
            guard !mine.isEmpty else { return }
            do {
                try NamespaceHosts.withLinks(in: namespace) { links in
                    for change in mine {
                        switch change {
                        case .added(let l):
                            try links.addNeighbour(NeighbourEntry(address: l.address, mac: l.mac), device: "vx0")
                            try links.addForwardingEntry(ForwardingEntry(mac: l.mac, destination: l.underlay), device: "vx0")
                        case .removed(let l):
                            try links.deleteForwardingEntry(ForwardingEntry(mac: l.mac, destination: l.underlay), device: "vx0")
                            try links.deleteNeighbour(NeighbourEntry(address: l.address, mac: l.mac), device: "vx0")
                        }
                    }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
    }

    func makeHost(_ index: Int, underlayNamespace: String, network: LogicalNetwork, programmers: inout [Programmer]) throws -> Host {
        let namespace = try hosts.add("h\(index)")
        let underlay = IPAddress("10.99.0.\(index)")!
        try NamespaceHosts.sh("ip", "-n", underlayNamespace, "link", "add", "ul\(index)", "type", "veth", "peer", "name", "eth0", "netns", namespace)
        try NamespaceHosts.sh("ip", "-n", underlayNamespace, "link", "set", "ul\(index)", "master", "ul0", "up")
        try NamespaceHosts.sh("ip", "-n", namespace, "addr", "add", "\(underlay)/24", "dev", "eth0")
        try NamespaceHosts.sh("ip", "-n", namespace, "link", "set", "eth0", "up")
        try NamespaceHosts.withLinks(in: namespace) { links in
            try links.createBridge(name: "br0", mtu: 1450)
            try links.addAddress(network.gateway, prefixLength: network.subnet.length, to: "br0")
            try links.createVXLAN(name: "vx0", vni: network.vni, local: underlay, port: 4789, mtu: 1450)
            try links.setMaster("vx0", bridge: "br0")
            try links.setUp("vx0")
            try links.setUp("br0")
        }
        let etcd = client()
        let membership = try HostMembership(etcd: etcd, record: HostRecord(name: "h\(index)", underlay: underlay), ttlSeconds: 3)
        memberships.append(membership)
        membership.start()
        let programmer = Programmer(namespace: namespace, network: network.name)
        programmers.append(programmer)
        let watcher = RemoteEndpointWatcher(etcd: client(), localHost: "h\(index)") { programmer.apply($0) }
        watchers.append(watcher)
        watcher.start()
        return Host(index: index, namespace: namespace, underlay: underlay, membership: membership,
                    allocator: try AddressAllocator(etcd: etcd, host: "h\(index)"), watcher: watcher)
    }

    /// What Docker and swiftnet do for a container: claim an address, a veth on the bridge with
    /// the container end in its namespace, and publish where it is.
    func join(_ host: Host, _ network: LogicalNetwork, _ name: String, mac last: UInt8) throws -> Container {
        let claim = try host.allocator.allocate(in: network, owner: name)
        let mac: [UInt8] = [0x02, 0x42, 0, 0, UInt8(host.index), last]
        let namespace = try hosts.add(name)
        let hostEnd = "v\(name)"
        try NamespaceHosts.withLinks(in: host.namespace) { links in
            try links.createVethPair(host: hostEnd, peer: "c\(name)", mtu: 1450, peerMAC: mac, onBridge: "br0")
        }
        try NamespaceHosts.sh("ip", "-n", host.namespace, "link", "set", "c\(name)", "netns", namespace)
        try NamespaceHosts.sh("ip", "-n", namespace, "link", "set", "c\(name)", "name", "eth0")
        try NamespaceHosts.sh("ip", "-n", namespace, "addr", "add", "\(claim.address)/\(network.subnet.length)", "dev", "eth0")
        try NamespaceHosts.sh("ip", "-n", namespace, "link", "set", "eth0", "up")
        try NamespaceHosts.sh("ip", "-n", namespace, "route", "add", "default", "via", network.gateway.description)
        let location = EndpointLocation(network: network.name, address: claim.address, mac: mac, host: "h\(host.index)", underlay: host.underlay)
        let publishedAt = DispatchTime.now().uptimeNanoseconds
        try host.membership.publish(location)
        return Container(namespace: namespace, location: location, publishedAt: publishedAt)
    }

    func forwarding(on host: Host) throws -> Set<ForwardingEntry> {
        Set(try NamespaceHosts.withLinks(in: host.namespace) { try $0.forwardingEntries(device: "vx0") })
    }

    func drift(on host: Host, network: String) throws -> DataplaneDrift {
        let (fdb, neighbours) = try NamespaceHosts.withLinks(in: host.namespace) { links in
            (try links.forwardingEntries(device: "vx0"), try links.neighbours(device: "vx0"))
        }
        return DataplaneDrift(desired: host.watcher.entries.filter { $0.network == network },
                              forwarding: fdb.map { .init(mac: $0.mac, destination: $0.destination) },
                              neighbours: neighbours.map { .init(address: $0.address, mac: $0.mac) })
    }

    /// Milliseconds from `start` (default now) until `condition` holds (polled every 5 ms), or
    /// nil after `seconds`.
    func millisecondsUntil(_ seconds: Double, since start: UInt64 = DispatchTime.now().uptimeNanoseconds,
                           _ condition: () throws -> Bool) rethrows -> Double? {
        while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
            if try condition() { return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 }
            usleep(5_000)
        }
        return nil
    }

    func testContainersOnThreeHostsTalkThroughEntriesKeptInSyncFromEtcd() throws {
        let etcd = client()
        let network = try NetworkRegistry(etcd: etcd).ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h1")
        try AddressAllocator(etcd: etcd, host: "h1").reserveGateway(of: network)
        let underlay = try hosts.add("ul")
        try NamespaceHosts.sh("ip", "-n", underlay, "link", "add", "ul0", "type", "bridge")
        try NamespaceHosts.sh("ip", "-n", underlay, "link", "set", "ul0", "up")
        var programmers: [Programmer] = []
        let h = try (1...3).map { try makeHost($0, underlayNamespace: underlay, network: network, programmers: &programmers) }

        let c1 = try join(h[0], network, "c1", mac: 1)
        let c2 = try join(h[1], network, "c2", mac: 2)
        let c3 = try join(h[2], network, "c3", mac: 3)
        let entry3 = ForwardingEntry(mac: c3.location.mac, destination: h[2].underlay)
        let programmed = try millisecondsUntil(1, since: c3.publishedAt) { try forwarding(on: h[0]).contains(entry3) }
        XCTAssertNotNil(programmed, "a remote join reaches another host's FDB within 1 s")
        print(String(format: "multihost: remote join (publish) → FDB entry on another host: %.1f ms", programmed ?? -1))

        let containers = [c1, c2, c3]
        for from in containers {
            XCTAssertTrue(NamespaceHosts.ping(from: from.namespace, network.gateway), "\(from.namespace) → its host's gateway")
            for to in containers where to.namespace != from.namespace {
                XCTAssertTrue(NamespaceHosts.ping(from: from.namespace, to.location.address), "\(from.location.address) → \(to.location.address)")
            }
        }
        for host in h {
            let drift = try drift(on: host, network: "blue")
            XCTAssertTrue(drift.isEmpty, "h\(host.index): \(drift)")
        }
        XCTAssertEqual(try forwarding(on: h[0]).count, 2)

        // etcd stopped: traffic keeps flowing, new claims fail fast naming etcd.
        server.stop()
        XCTAssertTrue(NamespaceHosts.ping(from: c1.namespace, c2.location.address))
        let started = Date()
        XCTAssertThrowsError(try h[1].allocator.allocate(in: network, owner: "c4")) { XCTAssertTrue("\($0)".hasPrefix("etcd unreachable"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)

        // etcd back: a new container works, with no step by hand.
        try server.start()
        var c4: Container?
        try eventually(10, "a join once etcd is back") {
            c4 = try? join(h[1], network, "c4", mac: 4)
            return c4 != nil
        }
        let fourth = try XCTUnwrap(c4)
        // Reachable: pings from another host's container until one answers (a failed ping
        // waits its 1 s timeout, so this is coarse when the first fails).
        let reachable = millisecondsUntil(5, since: fourth.publishedAt) { NamespaceHosts.ping(from: c1.namespace, fourth.location.address) }
        XCTAssertNotNil(reachable)
        print(String(format: "multihost: remote join (publish) → first answered ping from another host: %.1f ms", reachable ?? -1))
        XCTAssertTrue(try forwarding(on: h[0]).contains(ForwardingEntry(mac: fourth.location.mac, destination: h[1].underlay)))

        // A leave is gone from other hosts within 1 s.
        let leaving = DispatchTime.now().uptimeNanoseconds
        try h[1].membership.withdraw(network: "blue", address: c2.location.address)
        let entry2 = ForwardingEntry(mac: c2.location.mac, destination: h[1].underlay)
        let removed = try millisecondsUntil(1, since: leaving) { try !forwarding(on: h[0]).contains(entry2) && !forwarding(on: h[2]).contains(entry2) }
        XCTAssertNotNil(removed, "a remote leave leaves every other FDB within 1 s")
        print(String(format: "multihost: remote leave → FDB entries gone elsewhere: %.1f ms", removed ?? -1))
        XCTAssertFalse(NamespaceHosts.ping(from: c1.namespace, c2.location.address))

        // A host that dies leaves every FDB when its lease (3 s here) runs out.
        watchers[2].stop()
        h[2].membership.abandon()
        try eventually(10, "h3's endpoints gone from h1 and h2") {
            try !forwarding(on: h[0]).contains(entry3) && !forwarding(on: h[1]).contains(entry3)
        }
        XCTAssertFalse(NamespaceHosts.ping(from: c1.namespace, c3.location.address))
        XCTAssertTrue(NamespaceHosts.ping(from: c1.namespace, fourth.location.address))
        for host in h[0...1] { XCTAssertTrue(try drift(on: host, network: "blue").isEmpty) }
        XCTAssertEqual(programmers.flatMap { $0.failures.withLock { $0 } }, [])
    }
}
