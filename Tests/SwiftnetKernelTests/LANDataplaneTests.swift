import Foundation
import XCTest
import SwiftnetAddress
import SwiftnetLANModel
@testable import SwiftnetKernel

/// Containers on a LAN through macvlan, ipvlan and 802.1q parents, joined as dockerd joins them,
/// with no dockerd: swiftnet's part (the links) by LinkManager in the "host" namespace, Docker's
/// part (move, rename, address, route) and the pings with `ip`. See LANTestCase for the layout.
final class LANDataplaneTests: LANTestCase {
    /// Two macvlan children of `mode` on the parent, joined as containers .11 and .12.
    func twoMacvlanContainers(_ mode: MacvlanMode, parent: String? = nil, subnet: Int? = nil) throws -> (String, String) {
        let parent = parent ?? self.parent
        try inHost { links in
            for name in ["c1", "c2"] {
                try links.createMacvlan(name: name, parent: parent, mode: mode)
                XCTAssertEqual(try links.stackedLink(named: name)?.macvlanMode, mode)
            }
        }
        let gateway = address(1, subnet: subnet)
        return (try join("c1", address: address(11, subnet: subnet), route: .via(gateway)),
                try join("c2", address: address(12, subnet: subnet), route: .via(gateway)))
    }

    func testMacvlanBridgeModeContainersReachEachOtherAndTheLAN() throws {
        try makeLAN()
        let (c1, c2) = try twoMacvlanContainers(.bridge)
        XCTAssertTrue(try reaches(c1, address(12)), "container to container, inside the host")
        XCTAssertTrue(try reaches(c2, address(11)))
        XCTAssertTrue(try reaches(c1, gateway), "container to the LAN's gateway")
        XCTAssertTrue(try reaches(c2, gateway))
        XCTAssertTrue(try reaches(lan, address(11)), "the LAN reaches a container by its address")
        // The host does not reach them through the parent: the kernel keeps parent and children apart.
        try sh(["ip", "-n", host, "addr", "add", address(200) + "/24", "dev", parent])
        XCTAssertTrue(try reaches(host, gateway), "the host is on the LAN")
        XCTAssertFalse(try ping(host, address(11)), "host to its own macvlan container through the parent")
    }

    func testMacvlanPrivateModeBlocksContainerToContainerEvenThroughAReflectingSwitch() throws {
        try makeLAN(hairpin: true)
        let (c1, c2) = try twoMacvlanContainers(.private)
        XCTAssertTrue(try reaches(c1, gateway))
        XCTAssertTrue(try reaches(c2, gateway))
        XCTAssertTrue(try reaches(lan, address(12)))
        XCTAssertFalse(try ping(c1, address(12)), "private: no container to container")
        XCTAssertFalse(try ping(c2, address(11)))
    }

    func testMacvlanVEPAModeTalksThroughTheSwitchOnly() throws {
        try makeLAN(hairpin: false)
        let (c1, c2) = try twoMacvlanContainers(.vepa)
        XCTAssertTrue(try reaches(c1, gateway))
        XCTAssertTrue(try reaches(c2, gateway))
        XCTAssertFalse(try ping(c1, address(12)), "vepa: the switch does not reflect, so no container to container")
        try setHairpin(true)
        XCTAssertTrue(try reaches(c1, address(12)), "vepa: the switch reflects (hairpin), so container to container")
        XCTAssertTrue(try reaches(c2, address(11)))
    }

    func testMacvlanPassthruOneContainerAndARefusedSecond() throws {
        try makeLAN()
        let parent = self.parent
        let parentMAC = try mac(of: parent, in: host)
        try inHost { links in
            // What the driver says before the kernel would: one child per passthru network.
            XCTAssertThrowsError(try LANEndpointRules.check(.macvlan(.passthru), parent: parent, requestsMAC: false, childrenOnParent: 1))
            try links.createMacvlan(name: "c1", parent: parent, mode: .passthru)
            XCTAssertThrowsError(try links.createMacvlan(name: "c2", parent: parent, mode: .passthru))
            XCTAssertNil(try links.link(named: "c2"), "nothing left by the refused second child")
        }
        let c1 = try join("c1", address: address(11), route: .via(gateway))
        XCTAssertEqual(try mac(of: "eth0", in: c1), parentMAC, "passthru: the child takes the parent's MAC")
        XCTAssertTrue(try reaches(c1, gateway))
        XCTAssertTrue(try reaches(lan, address(11)))
    }

    func testHostShimReachesAContainerTheParentCannot() throws {
        try makeLAN()
        let parent = self.parent
        // The host's own LAN address on the parent, as on a real host.
        try sh(["ip", "-n", host, "addr", "add", address(200) + "/24", "dev", parent])
        let c1 = try twoMacvlanContainers(.bridge).0
        XCTAssertFalse(try ping(host, address(11)), "without a shim the host cannot reach its container")

        // Containers take .0/25 (--ip-range); the shim's address comes from outside it.
        let plan = try HostShimPlan.plan(.macvlan(.bridge), parent: ParentLink(parent), address: IPAddress(address(126))!,
                                         containerRange: IPPrefix(address(0) + "/25")!)
        try inHost { links in
            guard case .macvlan(let mode) = plan.childKind else { return XCTFail("\(plan)") }
            try links.createMacvlan(name: "shim", parent: parent, mode: mode)
            try links.addAddress(plan.address, prefixLength: plan.prefixLength, to: "shim")
            try links.setUp("shim")
            for route in plan.routes { try links.addConnectedRoute(route, through: "shim") }
        }
        XCTAssertTrue(try reaches(host, address(11)), "host to container through the shim")
        XCTAssertTrue(try reaches(c1, address(126)), "container to the host's shim")
        XCTAssertTrue(try reaches(host, gateway), "the host's LAN traffic still leaves by the parent")
        XCTAssertTrue(try reaches(lan, address(11)))
    }

    func testARPProbeFindsAnAddressThatAnswersAndNotOneThatDoesNot() throws {
        try makeLAN()
        let parent = self.parent
        let gatewayMAC = try mac(of: "br0", in: lan)
        _ = try twoMacvlanContainers(.bridge)
        let gateway = IPAddress(self.gateway)!, free = IPAddress(address(99))!, container = IPAddress(address(11))!
        let (taken, nobody, local, elapsed) = try inHost { links -> ([UInt8]?, [UInt8]?, [UInt8]?, Double) in
            let probe = NeighbourProbe()
            let taken = try probe.answer(for: gateway, on: parent, links: links)
            let started = Date()
            let nobody = try probe.answer(for: free, on: parent, links: links)
            let elapsed = Date().timeIntervalSince(started)
            let local = try probe.answer(for: container, on: parent, links: links)
            return (taken, nobody, local, elapsed)
        }
        XCTAssertEqual(taken, gatewayMAC, "the LAN's gateway answers")
        XCTAssertNil(nobody, "nobody has \(free)")
        XCTAssertGreaterThanOrEqual(elapsed, 0.29)
        XCTAssertLessThan(elapsed, 1.0)
        print("ARP probe of a free address: \(Int(elapsed * 1000)) ms (3 tries × 100 ms)")
        // Frames the parent sends never reach its own macvlan children: the IPAM knows those.
        XCTAssertNil(local, "the probe sees the LAN, not this host's containers")

        try inHost { links in
            XCTAssertThrowsError(try NeighbourProbe().answer(for: gateway, on: "nosuch0", links: links)) {
                guard case .interfaceNotFound("nosuch0", _)? = $0 as? KernelError else { return XCTFail("\($0)") }
            }
            try links.createMacvlan(name: "down0", parent: parent, mode: .bridge)
            XCTAssertThrowsError(try NeighbourProbe().answer(for: gateway, on: "down0", links: links)) {
                XCTAssertTrue("\($0)".contains("down0 is down"), "\($0)")
            }
            XCTAssertThrowsError(try NeighbourProbe(tries: 0).answer(for: gateway, on: parent, links: links))
        }
    }

    /// Linux answers a DAD solicitation only if it is well formed (checksum, hop limit, group).
    func testNDPProbeFindsAnIPv6AddressThatAnswersAndNotOneThatDoesNot() throws {
        try makeLAN()
        let parent = self.parent
        let prefix = "fd00:213:\(String(third, radix: 16))::"
        try sh(["ip", "-n", lan, "addr", "add", prefix + "1/64", "dev", "br0", "nodad"])
        let gatewayMAC = try mac(of: "br0", in: lan)
        let gateway = IPAddress(prefix + "1")!, free = IPAddress(prefix + "99")!
        let (taken, nobody, elapsed) = try inHost { links -> ([UInt8]?, [UInt8]?, Double) in
            let probe = NeighbourProbe()
            let taken = try probe.answer(for: gateway, on: parent, links: links)
            let started = Date()
            let nobody = try probe.answer(for: free, on: parent, links: links)
            return (taken, nobody, Date().timeIntervalSince(started))
        }
        XCTAssertEqual(taken, gatewayMAC, "the LAN's IPv6 gateway answers")
        XCTAssertNil(nobody, "nobody has \(free)")
        XCTAssertGreaterThanOrEqual(elapsed, 0.29)
        XCTAssertLessThan(elapsed, 1.0)
        print("NDP probe of a free address: \(Int(elapsed * 1000)) ms (3 tries × 100 ms)")
    }

    // MARK: ipvlan (skipped with the kernel's reason where it has none)

    func testIPvlanL2ContainersReachEachOtherAndTheLAN() throws {
        try requireKernelSupport(.ipvlan)
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            for name in ["c1", "c2"] { try links.createIPvlan(name: name, parent: parent, mode: .l2, flag: .bridge) }
        }
        let c1 = try join("c1", address: address(11), route: .via(gateway))
        let c2 = try join("c2", address: address(12), route: .via(gateway))
        XCTAssertTrue(try reaches(c1, address(12)))
        XCTAssertTrue(try reaches(c2, address(11)))
        XCTAssertTrue(try reaches(c1, gateway))
        XCTAssertTrue(try reaches(lan, address(12)))
    }

    func testIPvlanL2PrivateFlagBlocksContainerToContainer() throws {
        try requireKernelSupport(.ipvlan)
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            for name in ["c1", "c2"] { try links.createIPvlan(name: name, parent: parent, mode: .l2, flag: .private) }
        }
        let c1 = try join("c1", address: address(11), route: .via(gateway))
        _ = try join("c2", address: address(12), route: .via(gateway))
        XCTAssertTrue(try reaches(c1, gateway))
        XCTAssertFalse(try ping(c1, address(12)))
    }

    /// l3: the containers' subnet is routed, not bridged: they get a connected default route (what
    /// LANJoinAnswer returns), and the LAN reaches them through a route to the host.
    func testIPvlanL3ContainersAreRoutedThroughTheHost() throws {
        try requireKernelSupport(.ipvlan)
        try makeLAN()
        let parent = self.parent
        let routed = (third + 1) % 256
        try sh(["ip", "-n", host, "addr", "add", address(2) + "/24", "dev", parent])
        try sh(["ip", "-n", lan, "route", "add", "10.213.\(routed).0/24", "via", address(2)])
        let answer = LANJoinAnswer.decide(.ipvlan(.l3, .bridge), isInternal: false, ipv4Subnet: IPPrefix("10.213.\(routed).0/24"),
                                          gatewayIPv4: nil, ipv6Subnet: nil, gatewayIPv6: nil)
        XCTAssertEqual(answer.connectedRoutes, [LANJoinAnswer.defaultIPv4])
        XCTAssertNil(answer.gatewayIPv4)
        try inHost { links in
            for name in ["c1", "c2"] { try links.createIPvlan(name: name, parent: parent, mode: .l3) }
        }
        let c1 = try join("c1", address: address(11, subnet: routed), route: .connected)
        let c2 = try join("c2", address: address(12, subnet: routed), route: .connected)
        XCTAssertTrue(try reaches(c1, address(12, subnet: routed)))
        XCTAssertTrue(try reaches(c2, address(11, subnet: routed)))
        XCTAssertTrue(try reaches(c1, gateway), "container to the LAN, routed by the parent")
        XCTAssertTrue(try reaches(lan, address(11, subnet: routed)), "the LAN to a container through its route to the host")
    }

    // MARK: 802.1q parents (skipped with the kernel's reason where it has none)

    /// `parent=eth0.50`: the sub-interface is made on eth0, containers on it reach the LAN's
    /// VLAN 50 only, and deleting the sub-interface takes its children.
    func testVLANSubinterfaceParentCarriesContainersOnItsVLAN() throws {
        try requireKernelSupport(.vlan)
        try makeLAN()
        let parent = self.parent, vlan50 = (third + 1) % 256
        try sh(["ip", "-n", lan, "link", "add", "link", "br0", "name", "br0.50", "type", "vlan", "id", "50"])
        try sh(["ip", "-n", lan, "addr", "add", address(1, subnet: vlan50) + "/24", "dev", "br0.50"])
        try sh(["ip", "-n", lan, "link", "set", "br0.50", "up"])
        try inHost { links in
            let plan = try ParentPlan.decide(ParentLink("\(parent).50")) { (try? links.link(named: $0)) != nil }
            XCTAssertEqual(plan, .createVLAN(VLANSubinterface(name: "\(parent).50", base: try ParentLink(parent), id: 50)))
            try links.createVLAN(name: "\(parent).50", parent: parent, id: 50)
            try links.setUp("\(parent).50")
        }
        let (c1, c2) = try twoMacvlanContainers(.bridge, parent: "\(parent).50", subnet: vlan50)
        XCTAssertTrue(try reaches(c1, address(12, subnet: vlan50)))
        XCTAssertTrue(try reaches(c1, address(1, subnet: vlan50)), "container to the LAN's VLAN 50 gateway")
        XCTAssertTrue(try reaches(lan, address(11, subnet: vlan50)))
        XCTAssertFalse(try ping(c2, gateway), "the untagged LAN is not on VLAN 50")
        try inHost { links in XCTAssertTrue(try links.deleteLink("\(parent).50")) }
        for container in [c1, c2] {
            XCTAssertFalse(try links(in: container).contains("eth0"), "the children went with their parent")
        }
    }
}
