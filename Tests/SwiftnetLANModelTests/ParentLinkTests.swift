import XCTest
@testable import SwiftnetLANModel

final class ParentLinkTests: XCTestCase {
    func testVLANSubinterfaceNames() throws {
        let sub = try ParentLink("eth0.50").vlanSubinterface()
        XCTAssertEqual(sub, VLANSubinterface(name: "eth0.50", base: try ParentLink("eth0"), id: 50))
        XCTAssertEqual(try ParentLink("eth0.1").vlanSubinterface().id, 1)
        XCTAssertEqual(try ParentLink("bond0.4094").vlanSubinterface().id, 4094)
        let refused: [(String, String)] = [
            ("eth0.0", "vlan id must be between 1-4094, received: 0"),
            ("eth0.4095", "vlan id must be between 1-4094, received: 4095"),
            ("eth0.9999", "vlan id must be between 1-4094, received: 9999"),
            ("eth0.10.20", "a missing parent is created only from a name of the form NAME.VID"),
            ("eth0", "a missing parent is created only from a name of the form NAME.VID"),
            (".50", "no link name before the '.'"),
            ("eth0.", "'' is not a VLAN id"),
            ("eth0.+5", "'+5' is not a VLAN id"),
            ("eth0.-5", "'-5' is not a VLAN id"),
            ("eth0.x5", "'x5' is not a VLAN id"),
            ("eth0.00050", "'00050' is not a VLAN id"),
        ]
        for (name, reason) in refused {
            XCTAssertThrowsError(try ParentLink(name).vlanSubinterface(), name) {
                XCTAssertEqual($0 as? LANModelError, .invalidVLANSubinterface(name, reason: reason))
                XCTAssertTrue("\($0)".contains("invalid subinterface vlan name"), "Docker's wording: \($0)")
            }
        }
        XCTAssertThrowsError(try ParentLink("lo.5").vlanSubinterface()) {
            XCTAssertEqual($0 as? LANModelError, .invalidParentName("lo", reason: "the loopback interface is not a valid parent link"))
        }
    }

    func testParentPlan() throws {
        let links: Set<String> = ["eth0", "br.lan", "eth1.7"]
        let exists = { links.contains($0) }
        XCTAssertEqual(try ParentPlan.decide(ParentLink("eth0"), linkExists: exists), .existing(try ParentLink("eth0")))
        // An existing link is used as it is, even with a dot (and never deleted).
        XCTAssertEqual(try ParentPlan.decide(ParentLink("br.lan"), linkExists: exists), .existing(try ParentLink("br.lan")))
        XCTAssertEqual(try ParentPlan.decide(ParentLink("eth1.7"), linkExists: exists), .existing(try ParentLink("eth1.7")))
        XCTAssertEqual(try ParentPlan.decide(ParentLink("eth0.50"), linkExists: exists),
                       .createVLAN(VLANSubinterface(name: "eth0.50", base: try ParentLink("eth0"), id: 50)))
        XCTAssertThrowsError(try ParentPlan.decide(ParentLink("eth9"), linkExists: exists)) {
            XCTAssertEqual($0 as? LANModelError, .parentMissing("eth9"))
            XCTAssertTrue("\($0)".contains("parent link eth9 does not exist"), "\($0)")
        }
        XCTAssertThrowsError(try ParentPlan.decide(ParentLink("eth9.50"), linkExists: exists)) {
            XCTAssertEqual($0 as? LANModelError, .parentMissing("eth9"), "names the link that is missing")
        }
        XCTAssertThrowsError(try ParentPlan.decide(ParentLink("eth0.5000"), linkExists: exists)) {
            XCTAssertEqual($0 as? LANModelError, .invalidVLANSubinterface("eth0.5000", reason: "vlan id must be between 1-4094, received: 5000"))
        }
    }
}
