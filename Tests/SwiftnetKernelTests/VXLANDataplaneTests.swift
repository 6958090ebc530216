import Foundation
import XCTest
import SwiftnetAddress
@testable import SwiftnetKernel

/// The multi-host dataplane in throw-away namespaces: three "hosts" on an underlay bridge, each
/// with a bridge and a VXLAN device made through LinkManager, and a "container" namespace per
/// host on that bridge. Only the FDB and neighbour entries programmed from a table make the
/// containers reach each other. Every namespace is deleted in tearDown, which takes every link
/// in it along, even after a failed assertion.
final class VXLANDataplaneTests: XCTestCase {
    var namespaces: [String] = []
    let tag = LinkManagerTests.hex(6)

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "namespace tests need root")
        namespaces = []
    }

    override func tearDownWithError() throws {
        for namespace in namespaces.reversed() { _ = try? LinkManagerTests.run(["ip", "netns", "delete", namespace]) }
    }

    func namespace(_ role: String) throws -> String {
        let name = "swtest-\(role)-\(tag)"
        namespaces.append(name)
        try LinkManagerTests.check(["ip", "netns", "add", name])
        try LinkManagerTests.check(["ip", "-n", name, "link", "set", "lo", "up"])
        return name
    }

    func inNamespace<T: Sendable>(_ name: String, _ body: @escaping @Sendable (LinkManager) throws -> T) throws -> T {
        try LinkManagerTests.onThread(inNamespace: name) { try body(try LinkManager()) }
    }

    func ping(from namespace: String, _ address: IPAddress, attempts: Int = 3) throws -> Bool {
        for _ in 0..<attempts {
            let result = try LinkManagerTests.run(["ip", "netns", "exec", namespace] + LinkManagerTests.pingCommand()
                                                  + ["-c", "1", "-W", "1", address.description])
            if result.status == 0 { return true }
        }
        return false
    }

    struct Host {
        let namespace: String
        let container: String
        let underlay: IPAddress
        let address: IPAddress
        let mac: [UInt8]
    }

    /// Underlay bridge in a namespace of its own; per host a namespace with `eth0` on it, a
    /// bridge `br0` with VXLAN `vx0` (VNI 4242, learning off, proxy on) and a container whose
    /// `eth0` is on `br0`.
    func makeHosts(count: Int) throws -> [Host] {
        let underlay = try namespace("ul")
        try LinkManagerTests.check(["ip", "-n", underlay, "link", "add", "ul0", "type", "bridge"])
        try LinkManagerTests.check(["ip", "-n", underlay, "link", "set", "ul0", "up"])
        var hosts: [Host] = []
        for index in 1...count {
            let host = try namespace("h\(index)")
            let container = try namespace("c\(index)")
            let underlayAddress = IPAddress("10.99.0.\(index)")!
            let address = IPAddress("10.70.0.\(10 + index)")!
            let mac: [UInt8] = [0x02, 0x42, 0, 0, 0, UInt8(index)]
            // Scaffolding plays the network and Docker's part: plain `ip`.
            try LinkManagerTests.check(["ip", "-n", underlay, "link", "add", "ul\(index)", "type", "veth", "peer", "name", "eth0", "netns", host])
            try LinkManagerTests.check(["ip", "-n", underlay, "link", "set", "ul\(index)", "master", "ul0", "up"])
            try LinkManagerTests.check(["ip", "-n", host, "addr", "add", "\(underlayAddress)/24", "dev", "eth0"])
            try LinkManagerTests.check(["ip", "-n", host, "link", "set", "eth0", "up"])

            // What swiftnet does on each host: through LinkManager.
            try inNamespace(host) { links in
                try links.createBridge(name: "br0", mtu: 1450)
                try links.createVXLAN(name: "vx0", vni: 4242, local: underlayAddress, port: 4789, mtu: 1450)
                try links.setMaster("vx0", bridge: "br0")
                try links.setUp("vx0")
                try links.setUp("br0")
                try links.createVethPair(host: "ve\(index)", peer: "ct\(index)", mtu: 1450, peerMAC: mac, onBridge: "br0")
            }
            try LinkManagerTests.check(["ip", "-n", host, "link", "set", "ct\(index)", "netns", container])
            try LinkManagerTests.check(["ip", "-n", container, "link", "set", "ct\(index)", "name", "eth0"])
            try LinkManagerTests.check(["ip", "-n", container, "addr", "add", "\(address)/24", "dev", "eth0"])
            try LinkManagerTests.check(["ip", "-n", container, "link", "set", "eth0", "up"])
            hosts.append(Host(namespace: host, container: container, underlay: underlayAddress, address: address, mac: mac))
        }
        return hosts
    }

    /// The entries host `local` needs for every other host's container.
    func table(for local: Host, in hosts: [Host]) -> (fdb: Set<ForwardingEntry>, neighbours: Set<NeighbourEntry>) {
        let remote = hosts.filter { $0.namespace != local.namespace }
        return (Set(remote.map { ForwardingEntry(mac: $0.mac, destination: $0.underlay) }),
                Set(remote.map { NeighbourEntry(address: $0.address, mac: $0.mac) }))
    }

    func testContainersOnThreeHostsReachEachOtherOnlyThroughTheProgrammedEntries() throws {
        let hosts = try makeHosts(count: 3)

        // The device is what was asked for.
        let info = try inNamespace(hosts[0].namespace) { try $0.vxlan(named: "vx0") }
        XCTAssertEqual(info, VXLANInfo(vni: 4242, local: hosts[0].underlay, port: 4789, learning: false, proxy: true))

        // Nothing programmed: no way across.
        XCTAssertFalse(try ping(from: hosts[0].container, hosts[1].address, attempts: 1))

        for host in hosts {
            let (fdb, neighbours) = table(for: host, in: hosts)
            try inNamespace(host.namespace) { links in
                for entry in fdb { try links.addForwardingEntry(entry, device: "vx0") }
                for entry in neighbours { try links.addNeighbour(entry, device: "vx0") }
                // Adding again replaces in place: idempotent.
                for entry in fdb { try links.addForwardingEntry(entry, device: "vx0") }
                for entry in neighbours { try links.addNeighbour(entry, device: "vx0") }
            }
            // Listed back exactly (the drift check's view).
            let listed = try inNamespace(host.namespace) { links in
                (Set(try links.forwardingEntries(device: "vx0")), Set(try links.neighbours(device: "vx0")))
            }
            XCTAssertEqual(listed.0, fdb)
            XCTAssertEqual(listed.1, neighbours)
        }

        for from in hosts {
            for to in hosts where to.namespace != from.namespace {
                XCTAssertTrue(try ping(from: from.container, to.address), "\(from.address) → \(to.address)")
            }
        }

        // Host 1 forgets where container 2 is: 1 → 2 stops; 1 → 3 still works.
        let second = hosts[1]
        let removed = try inNamespace(hosts[0].namespace) { links in
            try links.deleteForwardingEntry(ForwardingEntry(mac: second.mac, destination: second.underlay), device: "vx0")
        }
        XCTAssertTrue(removed)
        XCTAssertFalse(try ping(from: hosts[0].container, second.address, attempts: 2))
        XCTAssertTrue(try ping(from: hosts[0].container, hosts[2].address))
        let neighbourRemoved = try inNamespace(hosts[0].namespace) { links in
            try links.deleteNeighbour(NeighbourEntry(address: second.address, mac: second.mac), device: "vx0")
        }
        XCTAssertTrue(neighbourRemoved)
        let after = try inNamespace(hosts[0].namespace) { links in
            (try links.forwardingEntries(device: "vx0"), try links.neighbours(device: "vx0"),
             try links.deleteForwardingEntry(ForwardingEntry(mac: second.mac, destination: second.underlay), device: "vx0"),
             try links.deleteNeighbour(NeighbourEntry(address: second.address, mac: second.mac), device: "vx0"))
        }
        XCTAssertEqual(after.0, [ForwardingEntry(mac: hosts[2].mac, destination: hosts[2].underlay)])
        XCTAssertEqual(after.1, [NeighbourEntry(address: hosts[2].address, mac: hosts[2].mac)])
        XCTAssertFalse(after.2, "deleting an absent FDB entry says so")
        XCTAssertFalse(after.3, "deleting an absent neighbour says so")

        // Programmed again: back.
        try inNamespace(hosts[0].namespace) { links in
            try links.addNeighbour(NeighbourEntry(address: second.address, mac: second.mac), device: "vx0")
            try links.addForwardingEntry(ForwardingEntry(mac: second.mac, destination: second.underlay), device: "vx0")
        }
        XCTAssertTrue(try ping(from: hosts[0].container, second.address))
    }

    func testBadVXLANRequestsAreRefusedByName() throws {
        let host = try namespace("h9")
        try inNamespace(host) { links in
            let local = IPAddress("10.99.0.9")!
            XCTAssertThrowsError(try links.createVXLAN(name: "vx0", vni: 1 << 24, local: local)) { XCTAssertTrue("\($0)".contains("VNI"), "\($0)") }
            XCTAssertThrowsError(try links.createVXLAN(name: "vx0", vni: 0, local: local))
            try links.createVXLAN(name: "vx0", vni: 7, local: local)
            XCTAssertThrowsError(try links.createVXLAN(name: "vx0", vni: 8, local: local)) {
                XCTAssertEqual($0 as? KernelError, .interfaceExists("vx0", operation: "create VXLAN vx0 (VNI 8)"))
            }
            XCTAssertNil(try links.vxlan(named: "vx1"))
            try links.createBridge(name: "br0")
            XCTAssertThrowsError(try links.vxlan(named: "br0")) { XCTAssertTrue("\($0)".contains("bridge"), "\($0)") }
            XCTAssertThrowsError(try links.addForwardingEntry(ForwardingEntry(mac: [1, 0, 0, 0, 0, 1], destination: local), device: "vx0")) {
                XCTAssertTrue("\($0)".contains("invalid MAC"), "\($0)")
            }
            XCTAssertThrowsError(try links.addNeighbour(NeighbourEntry(address: local, mac: [2, 0, 0, 0, 0, 1]), device: "nope0")) {
                XCTAssertTrue("\($0)".contains("no interface named nope0"), "\($0)")
            }
        }
    }
}
