import Foundation
import SwiftnetKernel
import SwiftnetTestSupport
import XCTest

/// macvlan and ipvlan networks made by the real server over its socket, traffic checked
/// between real namespaces (see LANServerTestCase).
final class LANDataplaneServerTests: LANServerTestCase {
    func testMacvlanBridgePrivateAndVEPA() throws {
        for mode in ["bridge", "private", "vepa"] {
            // VEPA sends sibling traffic out by the parent: the LAN switch must reflect it.
            try sh("-n", lan, "link", "set", "lan0", "type", "bridge_slave", "hairpin", mode == "vepa" ? "on" : "off")
            let (status, body, network) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0", "macvlan_mode": mode])
            XCTAssertEqual(status, 200, "\(mode): \(body)\n\(server.log.suffix(1500))")
            let a = try addContainer(to: network)
            let b = try addContainer(to: network)
            XCTAssertTrue(reaches(a.namespace, lanGateway), "\(mode): container → LAN gateway")
            XCTAssertTrue(reaches(lan, b.address), "\(mode): LAN → container by its address")
            if mode == "private" {
                XCTAssertFalse(ping(a.namespace, b.address), "private: containers must not reach each other")
            } else {
                XCTAssertTrue(reaches(a.namespace, b.address), "\(mode): container → container")
            }
            // The MAC is the one swiftnet derived and reported, as in bridge mode.
            let mac = Shell.inNamespace(a.namespace, ["/bin/cat", "/sys/class/net/eth0/address"]).output
            XCTAssertEqual(mac.trimmingCharacters(in: .whitespacesAndNewlines), a.mac, mode)
            try removeContainer(a, from: network)
            // The child went with its namespace: DeleteEndpoint has nothing to delete.
            try removeContainer(b, from: network, giveBack: false)
            try deleteNetwork(network)
            XCTAssertEqual(try hostLinks(), ["eth0"], "\(mode): network rm leaves no link")
            XCTAssertEqual(try recordedNetworks(), [])
        }
    }

    /// Two macvlan networks on one parent (two subnets of the LAN), as Docker's macvlan driver
    /// allows outside passthru: the second was refused with SQLite's "UNIQUE constraint failed:
    /// network.bridge". Both survive a restart, and deleting one leaves the other working. A
    /// swiftnet bridge is refused as a parent: it goes with its own network.
    func testTwoMacvlanNetworksShareAParent() throws {
        let (status, body, first) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0"])
        XCTAssertEqual(status, 200, "\(body)")
        let second = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0"], subnet: "10.215.\(third).0/24")
        XCTAssertEqual(second.status, 200, "\(second.body)")
        let a = try addContainer(to: first)
        let (b1, b2) = (try addContainer(to: second.network), try addContainer(to: second.network))
        XCTAssertTrue(reaches(a.namespace, lanGateway))
        XCTAssertTrue(reaches(b1.namespace, b2.address))

        XCTAssertEqual(server.terminate(), 0)
        try server.start()
        client = try server.client()
        XCTAssertEqual(Set(try recordedNetworks()), [first.id, second.network.id])
        try removeContainer(a, from: first)
        try deleteNetwork(first)
        XCTAssertTrue(reaches(b1.namespace, b2.address), "the other network on the parent still works")
        XCTAssertEqual(try recordedNetworks(), [second.network.id])

        let bridge = try createNetwork(generic: [:], subnet: "10.216.\(third).0/24")
        XCTAssertEqual(bridge.status, 200, "\(bridge.body)")
        let onBridge = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "swn-" + bridge.network.id.prefix(10)],
                                         subnet: "10.217.\(third).0/24")
        XCTAssertEqual(onBridge.status, 500)
        XCTAssertTrue("\(onBridge.body["Err"] ?? "")".contains("bridge of swiftnet network \(bridge.network.id.prefix(12))"), "\(onBridge.body)")
        try deleteNetwork(bridge.network)
        for container in [b1, b2] { try removeContainer(container, from: second.network) }
        try deleteNetwork(second.network)
        XCTAssertEqual(try hostLinks(), ["eth0"])
        XCTAssertEqual(try recordedNetworks(), [])
    }

    func testPassthruTakesTheParentAndRefusesASecondNetwork() throws {
        let (status, body, network) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0", "macvlan_mode": "passthru"])
        XCTAssertEqual(status, 200, "\(body)")
        let second = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0"], subnet: "10.215.\(third).0/24")
        XCTAssertEqual(second.status, 500)
        XCTAssertTrue("\(second.body["Err"] ?? "")".contains("passthru"), "\(second.body)")
        let a = try addContainer(to: network)
        XCTAssertNil(a.mac, "passthru keeps the parent's MAC")
        XCTAssertTrue(reaches(a.namespace, lanGateway))
        try removeContainer(a, from: network)
        try deleteNetwork(network)
        XCTAssertEqual(try hostLinks(), ["eth0"])
    }

    /// On a kernel without ipvlan or 802.1q (these machines): refused at CreateNetwork with
    /// the missing kernel support named, nothing recorded, no link made.
    func testIPvlanAndVLANParentRefusedWithTheKernelsReasonWhenMissing() throws {
        let missing = try LinkTypeSupport.missing([.ipvlan, .vlan])
        if missing[.ipvlan] == nil && missing[.vlan] == nil { throw XCTSkip("this kernel has ipvlan and 802.1q") }
        if case let reason?? = missing[.ipvlan] {
            let (status, body, _) = try createNetwork(generic: ["swiftnet.mode": "ipvlan", "parent": "eth0"])
            XCTAssertEqual(status, 500)
            let error = "\(body["Err"] ?? "")"
            XCTAssertTrue(error.contains("CONFIG_IPVLAN") && error.contains("ipvlan"), "\(error) (kernel: \(reason))")
        }
        if case .some(.some) = missing[.vlan] {
            let (status, body, _) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0.50"], subnet: "10.215.\(third).0/24")
            XCTAssertEqual(status, 500)
            XCTAssertTrue("\(body["Err"] ?? "")".contains("CONFIG_VLAN_8021Q"), "\(body)")
        }
        XCTAssertEqual(try hostLinks(), ["eth0"])
        XCTAssertEqual(try recordedNetworks(), [])
    }

    func testVLANParentIsMadeAndRemovedWithTheNetwork() throws {
        if let missing = try LinkTypeSupport.missing(.vlan) { throw XCTSkip("\(missing)") }
        let (status, body, network) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0.50"])
        XCTAssertEqual(status, 200, "\(body)")
        XCTAssertEqual(Set(try hostLinks()), ["eth0", "eth0.50"])
        try deleteNetwork(network)
        XCTAssertEqual(try hostLinks(), ["eth0"])
    }

    func testIPvlanL2AndL3Containers() throws {
        if let missing = try LinkTypeSupport.missing(.ipvlan) { throw XCTSkip("\(missing)") }
        for mode in ["l2", "l3"] {
            let (status, body, network) = try createNetwork(generic: ["swiftnet.mode": "ipvlan", "parent": "eth0", "ipvlan_mode": mode])
            XCTAssertEqual(status, 200, "\(body)")
            let a = try addContainer(to: network)
            let b = try addContainer(to: network)
            XCTAssertNil(a.mac, "ipvlan children keep the parent's MAC")
            XCTAssertTrue(reaches(a.namespace, b.address), "\(mode): container → container")
            if mode == "l2" { XCTAssertTrue(reaches(a.namespace, lanGateway), "l2: container → LAN gateway") }
            try removeContainer(a, from: network)
            try removeContainer(b, from: network)
            try deleteNetwork(network)
            XCTAssertEqual(try hostLinks(), ["eth0"])
        }
    }

    func testHostShimReachesItsContainers() throws {
        let shimAddress = address(250)
        let (status, body, network) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0", "swiftnet.host_shim": "true"],
                                                        aux: ["host_shim": shimAddress])
        XCTAssertEqual(status, 200, "\(body)\n\(server.log.suffix(1500))")
        let shim = "sws-" + network.id.prefix(10)
        XCTAssertEqual(Set(try hostLinks()), ["eth0", shim])
        let a = try addContainer(to: network)
        XCTAssertTrue(reaches(host, a.address), "host → container through the shim")
        XCTAssertTrue(reaches(a.namespace, shimAddress), "container → host's shim address")
        try removeContainer(a, from: network)
        try deleteNetwork(network)
        XCTAssertEqual(try hostLinks(), ["eth0"])
        let routes = try sh("-n", host, "route", "show")
        XCTAssertFalse(routes.contains(subnet), routes)
    }

    /// `--ipam-opt swiftnet.probe=arp`: an address a LAN host answers for is skipped.
    func testARPProbeSkipsAnAddressTheLANAnswersFor() throws {
        let (status, body, network) = try createNetwork(generic: ["swiftnet.mode": "macvlan", "parent": "eth0"],
                                                        ipamOptions: ["swiftnet.probe": "arp"])
        XCTAssertEqual(status, 200, "\(body)")
        // The next address the IPAM would hand out (.2; .1 is the gateway) is the LAN's.
        try sh("-n", lan, "addr", "add", address(2) + "/24", "dev", "br0")
        let cidr = try client.requestAddress(pool: network.poolID)
        XCTAssertEqual(cidr, address(3) + "/24", server.log.suffix(1500).description)
        try client.releaseAddress(pool: network.poolID, address: address(3))
        try deleteNetwork(network)
    }
}
