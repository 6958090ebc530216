import XCTest
@testable import SwiftnetLANModel

final class LANLinkDriftTests: XCTestCase {
    func testAsRecordedIsNoDrift() {
        XCTAssertEqual(LANLinkDrift.differences("shim", expected: .macvlan(.bridge), parent: "eth0",
                                                observed: ObservedLANLink(kind: "macvlan", parentName: "eth0", macvlanMode: .bridge)), [])
        XCTAssertEqual(LANLinkDrift.differences("eth0.50", expected: .vlan(id: 50), parent: "eth0",
                                                observed: ObservedLANLink(kind: "vlan", parentName: "eth0", vlanID: 50)), [])
        XCTAssertEqual(LANLinkDrift.differences("shim", expected: .ipvlan(.l3, .private), parent: "eth0",
                                                observed: ObservedLANLink(kind: "ipvlan", parentName: "eth0", ipvlanMode: .l3)), [],
                       "the flag cannot be read back, so it is not compared")
    }

    func testEachDifferenceIsSaid() {
        XCTAssertEqual(LANLinkDrift.differences("shim", expected: .macvlan(.bridge), parent: "eth0", observed: nil),
                       ["shim is missing (macvlan mode bridge on eth0)"])
        XCTAssertEqual(LANLinkDrift.differences("shim", expected: .macvlan(.bridge), parent: "eth0",
                                                observed: ObservedLANLink(kind: "veth", parentName: "eth0")),
                       ["shim is a veth link, not macvlan"])
        XCTAssertEqual(LANLinkDrift.differences("eth0.50", expected: .vlan(id: 50), parent: "eth0",
                                                observed: ObservedLANLink(kind: nil, parentName: nil)),
                       ["eth0.50 is a physical link, not vlan"])
        XCTAssertEqual(LANLinkDrift.differences("shim", expected: .macvlan(.bridge), parent: "eth0",
                                                observed: ObservedLANLink(kind: "macvlan", parentName: "eth1", macvlanMode: .private)),
                       ["shim is on eth1, not on eth0", "shim is in macvlan mode private, not bridge"])
        XCTAssertEqual(LANLinkDrift.differences("shim", expected: .ipvlan(.l2, .bridge), parent: "eth0",
                                                observed: ObservedLANLink(kind: "ipvlan", parentName: nil, ipvlanMode: .l3s)),
                       ["shim is on no parent in this namespace, not on eth0", "shim is in ipvlan mode l3s, not l2"])
        XCTAssertEqual(LANLinkDrift.differences("eth0.50", expected: .vlan(id: 50), parent: "eth0",
                                                observed: ObservedLANLink(kind: "vlan", parentName: "eth0", vlanID: 51)),
                       ["eth0.50 tags vlan 51, not 50"])
    }

    func testParentPlanWithoutAParentIsAnOwnedDummy() throws {
        let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
        let macvlan = try ParentPlan.decide(nil, childKind: .macvlan(.bridge), networkID: id) { _ in false }
        XCTAssertEqual(macvlan, .createDummy(name: "dm-0123456789ab"))
        XCTAssertEqual(macvlan.linkName, "dm-0123456789ab")
        XCTAssertTrue(macvlan.isOwned)
        XCTAssertTrue(macvlan.makesNetworkInternal)
        XCTAssertEqual(try ParentPlan.decide(nil, childKind: .ipvlan(.l3, .bridge), networkID: id) { _ in false },
                       .createDummy(name: "di-0123456789ab"))
        let existing = try ParentPlan.decide(ParentLink("eth0"), childKind: .macvlan(.bridge), networkID: id) { $0 == "eth0" }
        XCTAssertEqual(existing.linkName, "eth0")
        XCTAssertFalse(existing.isOwned, "a link swiftnet did not make is never deleted by it")
        XCTAssertFalse(existing.makesNetworkInternal)
        let vlan = try ParentPlan.decide(ParentLink("eth0.50"), childKind: .macvlan(.bridge), networkID: id) { $0 == "eth0" }
        XCTAssertEqual(vlan.linkName, "eth0.50")
        XCTAssertTrue(vlan.isOwned)
        XCTAssertFalse(vlan.makesNetworkInternal)
    }
}
