import Foundation
import XCTest
import SwiftnetAddress
import SwiftnetLANModel
@testable import SwiftnetKernel

/// LinkManager's macvlan, ipvlan, vlan and dummy links, read back as the kernel holds them, and
/// the link-type support check — all in the test's own namespaces.
final class LANLinkTests: LANTestCase {
    func testMacvlanChildrenInEveryModeReadBack() throws {
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            let parentIndex = try XCTUnwrap(try links.link(named: parent)).index
            for (n, mode) in [MacvlanMode.bridge, .private, .vepa].enumerated() {
                let name = "mv\(n)"
                try links.createMacvlan(name: name, parent: parent, mode: mode, mtu: 1400)
                let info = try XCTUnwrap(try links.stackedLink(named: name))
                XCTAssertEqual(info.link.kind, "macvlan")
                XCTAssertEqual(info.macvlanMode, mode)
                XCTAssertEqual(info.parentIndex, parentIndex)
                XCTAssertEqual(info.parentName, parent)
                XCTAssertEqual(info.link.mtu, 1400)
                XCTAssertFalse(info.link.isUp, "created down")
                XCTAssertNil(info.ipvlanMode)
                XCTAssertNil(info.vlanID)
            }
            // Read back in the terms the doctor compares.
            XCTAssertEqual(LANLinkDrift.differences("mv1", expected: .macvlan(.private), parent: parent,
                                                    observed: try links.stackedLink(named: "mv1")?.observed), [])
            XCTAssertEqual(LANLinkDrift.differences("mv1", expected: .macvlan(.bridge), parent: parent,
                                                    observed: try links.stackedLink(named: "mv1")?.observed),
                           ["mv1 is in macvlan mode private, not bridge"])
            XCTAssertEqual(LANLinkDrift.differences("lo", expected: .macvlan(.bridge), parent: parent,
                                                    observed: try links.stackedLink(named: "lo")?.observed),
                           ["lo is a physical link, not macvlan"])
            let mac: [UInt8] = [0x02, 0x42, 0x0a, 0xd5, 0x01, 0x0b]
            let endpoint = String(repeating: "ab", count: 32)
            try links.createMacvlan(name: "mvmac", parent: parent, mode: .bridge, mac: mac, group: 7_777, alias: endpoint)
            let marked = try XCTUnwrap(try links.link(named: "mvmac"))
            XCTAssertEqual(marked.mac, mac)
            XCTAssertEqual(marked.group, 7_777)
            XCTAssertEqual(marked.alias, endpoint, "the owner's mark")
            XCTAssertThrowsError(try links.createMacvlan(name: "mvx", parent: parent, mode: .bridge, alias: ""))

            // Refusals name what is wrong and leave nothing behind.
            XCTAssertThrowsError(try links.createMacvlan(name: "mv0", parent: parent, mode: .bridge)) {
                XCTAssertEqual($0 as? KernelError, .interfaceExists("mv0", operation: "create macvlan link mv0 (mode bridge) on \(parent)"))
            }
            XCTAssertThrowsError(try links.createMacvlan(name: "mvx", parent: "nosuch0", mode: .bridge)) {
                XCTAssertEqual($0 as? KernelError, .interfaceNotFound("nosuch0", operation: "create macvlan link mvx (mode bridge) on nosuch0"))
            }
            XCTAssertThrowsError(try links.createMacvlan(name: "mvx", parent: parent, mode: .bridge, mac: [0x01, 0, 0, 0, 0, 1])) {
                guard case .invalidMAC? = $0 as? KernelError else { return XCTFail("\($0)") }
            }
            XCTAssertThrowsError(try links.createMacvlan(name: "mvx", parent: "lo", mode: .bridge)) {
                guard case .interface("mvx", _, _)? = $0 as? KernelError else { return XCTFail("\($0)") }
            }
            XCTAssertNil(try links.link(named: "mvx"))

            // Not a stacked link: no parent, no mode.
            let plain = try XCTUnwrap(try links.stackedLink(named: "lo"))
            XCTAssertNil(plain.parentName)
            XCTAssertNil(plain.macvlanMode)
            XCTAssertNil(try links.stackedLink(named: "nosuch0"))

            // Deleting the parent deletes its children.
            XCTAssertTrue(try links.deleteLink(parent))
            for name in ["mv0", "mv1", "mv2", "mvmac"] { XCTAssertNil(try links.link(named: name), name) }
        }
    }

    func testPassthruTakesTheParentAlone() throws {
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            try links.createMacvlan(name: "pt0", parent: parent, mode: .passthru)
            XCTAssertEqual(try links.stackedLink(named: "pt0")?.macvlanMode, .passthru)
            for mode in MacvlanMode.allCases {
                XCTAssertThrowsError(try links.createMacvlan(name: "pt1", parent: parent, mode: mode), "\(mode)") {
                    XCTAssertTrue("\($0)".contains("create macvlan link pt1 (mode \(mode.rawValue)) on \(parent)"), "\($0)")
                }
                XCTAssertNil(try links.link(named: "pt1"))
            }
            XCTAssertTrue(try links.deleteLink("pt0"))
            // And not on a parent that has children already.
            try links.createMacvlan(name: "br0", parent: parent, mode: .bridge)
            XCTAssertThrowsError(try links.createMacvlan(name: "pt1", parent: parent, mode: .passthru))
            XCTAssertNil(try links.link(named: "pt1"))
        }
    }

    /// Runs on kernels that lack ipvlan (this project's test machines): refused by name of the
    /// missing kernel support, nothing left.
    func testIPvlanRefusedByNameWhereTheKernelLacksIt() throws {
        guard try LinkTypeSupport.missing(.ipvlan) != nil else { throw XCTSkip("this kernel has ipvlan") }
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            XCTAssertThrowsError(try links.createIPvlan(name: "ipv0", parent: parent, mode: .l3)) {
                XCTAssertEqual($0 as? KernelError, .unsupportedLinkType(kind: "ipvlan", operation: "create ipvlan link ipv0 (mode l3, flag bridge) on \(parent)"))
                XCTAssertTrue("\($0)".contains("no ipvlan link type (kernel option CONFIG_IPVLAN, module ipvlan)"), "\($0)")
                XCTAssertTrue("\($0)".contains("Unknown device type"), "\($0)")
            }
            XCTAssertNil(try links.link(named: "ipv0"))
        }
    }

    func testIPvlanChildrenInEveryModeAndFlagReadBack() throws {
        try requireKernelSupport(.ipvlan)
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            let parentInfo = try XCTUnwrap(try links.link(named: parent))
            var n = 0
            for mode in IPvlanMode.allCases {
                for flag in IPvlanFlag.allCases {
                    let name = "ipv\(n)"
                    n += 1
                    // ipvlan's mode belongs to the parent's port: every child of one parent has the
                    // same, so each mode gets a parent of its own here (a fresh veth).
                    let lower = "low\(n)"
                    try links.createVethPair(host: lower, peer: "peer\(n)")
                    try links.createIPvlan(name: name, parent: lower, mode: mode, flag: flag)
                    let info = try XCTUnwrap(try links.stackedLink(named: name))
                    XCTAssertEqual(info.link.kind, "ipvlan")
                    XCTAssertEqual(info.ipvlanMode, mode)
                    XCTAssertEqual(info.parentName, lower)
                    XCTAssertEqual(try links.link(named: lower)?.mac, info.link.mac, "an ipvlan child takes its parent's MAC")
                    XCTAssertTrue(try links.deleteLink(lower))
                    XCTAssertNil(try links.link(named: name), "gone with its parent")
                }
            }
            try links.createIPvlan(name: "ipv", parent: parent, mode: .l2)
            XCTAssertEqual(try links.link(named: "ipv")?.mac, parentInfo.mac)
            XCTAssertThrowsError(try links.createIPvlan(name: "ipv", parent: parent, mode: .l2)) {
                guard case .interfaceExists("ipv", _)? = $0 as? KernelError else { return XCTFail("\($0)") }
            }
            // The kernel keeps macvlan and ipvlan apart on one parent (ParentSharing says why first).
            XCTAssertThrowsError(try links.createMacvlan(name: "mv", parent: parent, mode: .bridge))
            XCTAssertNil(try links.link(named: "mv"))
        }
    }

    func testVLANRefusedByNameWhereTheKernelLacksIt() throws {
        guard try LinkTypeSupport.missing(.vlan) != nil else { throw XCTSkip("this kernel has 802.1q vlan") }
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            XCTAssertThrowsError(try links.createVLAN(name: "\(parent).50", parent: parent, id: 50)) {
                XCTAssertEqual($0 as? KernelError, .unsupportedLinkType(kind: "vlan", operation: "create vlan link \(parent).50 (id 50) on \(parent)"))
                XCTAssertTrue("\($0)".contains("CONFIG_VLAN_8021Q, module 8021q"), "\($0)")
            }
            XCTAssertNil(try links.link(named: "\(parent).50"))
        }
    }

    func testVLANSubinterfaceReadBack() throws {
        try requireKernelSupport(.vlan)
        try makeLAN()
        let parent = self.parent
        try inHost { links in
            let plan = try ParentPlan.decide(ParentLink("\(parent).50")) { (try? links.link(named: $0)) != nil }
            guard case .createVLAN(let sub) = plan else { return XCTFail("\(plan)") }
            try links.createVLAN(name: sub.name, parent: sub.base.name, id: sub.id)
            let info = try XCTUnwrap(try links.stackedLink(named: "\(parent).50"))
            XCTAssertEqual(info.link.kind, "vlan")
            XCTAssertEqual(info.vlanID, 50)
            XCTAssertEqual(info.parentName, parent)
            XCTAssertEqual(try ParentPlan.decide(ParentLink("\(parent).50")) { (try? links.link(named: $0)) != nil },
                           .existing(try ParentLink("\(parent).50")), "once made, it is an existing parent")
            XCTAssertThrowsError(try links.createVLAN(name: "\(parent).51", parent: parent, id: 4095))
            XCTAssertNil(try links.link(named: "\(parent).51"))
            XCTAssertTrue(try links.deleteLink("\(parent).50"))
        }
    }

    func testDummyLinkWhereTheKernelHasIt() throws {
        try requireKernelSupport(.dummy)
        try makeLAN()
        try inHost { links in
            try links.createDummy(name: "dm-0123456789ab")
            XCTAssertEqual(try links.link(named: "dm-0123456789ab")?.kind, "dummy")
            XCTAssertTrue(try links.deleteLink("dm-0123456789ab"))
        }
    }

    /// The check agrees with `ip link add` (in a scratch namespace), and leaves no link and no
    /// namespace behind in the namespace it was called from.
    func testLinkTypeSupportAgreesWithIPAndLeavesNothing() throws {
        let scratch = try newNamespace("scratch")
        try sh(["ip", "-n", scratch, "link", "add", "p0", "type", "veth", "peer", "name", "p1"])
        func ipCreates(_ type: KernelLinkType) throws -> (Bool, String) {
            let tail: [String]
            switch type {
            case .macvlan: tail = ["link", "p0", "type", "macvlan", "mode", "bridge"]
            case .ipvlan: tail = ["link", "p0", "type", "ipvlan", "mode", "l2"]
            case .vlan: tail = ["link", "p0", "type", "vlan", "id", "7"]
            case .dummy: tail = ["type", "dummy"]
            }
            let result = try LinkManagerTests.run(["ip", "-n", scratch, "link", "add", "x\(type.rawValue)"] + tail)
            return (result.status == 0, result.output)
        }
        let linksBefore = try links(in: scratch)
        let namespacesBefore = try sh(["ip", "netns", "list"])
        let started = Date()
        let answer = try LinkManagerTests.onThread(inNamespace: scratch) { try LinkTypeSupport.missing(KernelLinkType.allCases) }
        let elapsed = Date().timeIntervalSince(started)
        print("link type support for \(KernelLinkType.allCases.count) types: \(Int(elapsed * 1000)) ms")
        XCTAssertEqual(try links(in: scratch), linksBefore, "nothing left where it was called")
        XCTAssertEqual(try sh(["ip", "netns", "list"]), namespacesBefore)
        for type in KernelLinkType.allCases {
            let (created, output) = try ipCreates(type)
            let missing = try XCTUnwrap(answer[type], "\(type) answered")
            XCTAssertEqual(missing == nil, created, "\(type): ip says \(output)")
            if !created { XCTAssertTrue(output.contains("Unknown device type"), "\(type): \(output)") }
            if let missing {
                XCTAssertTrue("\(missing)".contains(type.kernelSupport), "\(missing)")
                print("\(type): \(missing)")
            }
        }
        XCTAssertNil(try LinkTypeSupport.missing(.macvlan), "every kernel this project runs on has macvlan")
    }

    func testConnectedRoutesThroughALink() throws {
        try makeLAN()
        let parent = self.parent
        let range = try XCTUnwrap(IPPrefix(address(0) + "/25"))
        try inHost { links in
            try links.createMacvlan(name: "shim", parent: parent, mode: .bridge)
            try links.createMacvlan(name: "other", parent: parent, mode: .bridge)
            try links.setUp("shim")
            try links.setUp("other")
            try links.addConnectedRoute(range, through: "shim")
            try links.addConnectedRoute(range, through: "shim")  // already there: success
            XCTAssertThrowsError(try links.addConnectedRoute(range, through: "other")) {
                XCTAssertTrue("\($0)".contains("dev shim"), "names the route in the way: \($0)")
            }
            XCTAssertTrue(try RouteReader().routes(family: .v4).contains(HostRoute(prefix: range, device: "shim")))
            XCTAssertTrue(try links.deleteConnectedRoute(range, through: "shim"))
            XCTAssertFalse(try links.deleteConnectedRoute(range, through: "shim"))
            XCTAssertFalse(try RouteReader().routes(family: .v4).contains { $0.prefix == range })
        }
    }
}
