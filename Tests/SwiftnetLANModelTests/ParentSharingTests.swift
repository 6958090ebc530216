import XCTest
@testable import SwiftnetLANModel

final class ParentSharingTests: XCTestCase {
    let lan = ParentUse(network: "lan", parent: "eth0", childKind: .macvlan(.bridge))
    let vepa = ParentUse(network: "vepa", parent: "eth0", childKind: .macvlan(.vepa))
    let passthru = ParentUse(network: "whole", parent: "eth0", childKind: .macvlan(.passthru))
    let routed = ParentUse(network: "routed", parent: "eth0", childKind: .ipvlan(.l3, .bridge))
    let elsewhere = ParentUse(network: "other", parent: "eth1", childKind: .macvlan(.passthru))

    func reason(_ kind: LANLinkKind, _ existing: [ParentUse], parent: String = "eth0") -> String? {
        do {
            try ParentSharing.check(kind, on: parent, existing: existing)
            return nil
        } catch {
            guard case .parentInUse(parent, let reason) = error else { return "unexpected \(error)" }
            return reason
        }
    }

    func testMacvlanNetworksShareAParentUnlessPassthru() {
        XCTAssertNil(reason(.macvlan(.bridge), [lan, vepa, elsewhere]))
        XCTAssertNil(reason(.macvlan(.private), [lan]))
        XCTAssertNil(reason(.macvlan(.passthru), [elsewhere, ParentUse(network: "sub", parent: "eth0.50", childKind: .macvlan(.bridge))]),
                     "eth0.50 is another parent")
        XCTAssertEqual(reason(.macvlan(.passthru), [lan]),
                       "cannot use mode passthru, network lan already using parent eth0 (passthru takes the whole link)")
        XCTAssertEqual(reason(.macvlan(.bridge), [passthru]),
                       "network whole uses it in macvlan passthru mode, which takes the whole link")
        XCTAssertEqual(reason(.macvlan(.passthru), [passthru]),
                       "cannot use mode passthru, network whole already using parent eth0 (passthru takes the whole link)")
    }

    func testIPvlanTakesAParentAlone() {
        XCTAssertNil(reason(.ipvlan(.l2, .bridge), [elsewhere]))
        XCTAssertEqual(reason(.ipvlan(.l2, .bridge), [routed]),
                       "network routed is already using parent interface eth0 (ipvlan allows one network per parent)")
        XCTAssertEqual(reason(.ipvlan(.l3s, .private), [lan]),
                       "network lan puts macvlan interfaces on it, and the kernel does not host macvlan and ipvlan interfaces on one parent")
        XCTAssertEqual(reason(.macvlan(.bridge), [routed]),
                       "network routed puts ipvlan interfaces on it, and the kernel does not host macvlan and ipvlan interfaces on one parent")
        XCTAssertEqual(reason(.ipvlan(.l2, .bridge), [passthru]),
                       "network whole uses it in macvlan passthru mode, which takes the whole link")
    }

    func testEndpointRules() throws {
        XCTAssertThrowsError(try LANEndpointRules.check(.ipvlan(.l2, .bridge), parent: "eth0", requestsMAC: true, childrenOnParent: 0)) {
            XCTAssertEqual($0 as? LANModelError, .macAddressOnIPvlan)
            XCTAssertTrue("\($0)".contains("ipvlan interfaces do not support custom mac address assignment"), "Docker's words: \($0)")
        }
        try LANEndpointRules.check(.ipvlan(.l3, .bridge), parent: "eth0", requestsMAC: false, childrenOnParent: 5)
        try LANEndpointRules.check(.macvlan(.bridge), parent: "eth0", requestsMAC: true, childrenOnParent: 5)
        try LANEndpointRules.check(.macvlan(.passthru), parent: "eth0", requestsMAC: true, childrenOnParent: 0)
        XCTAssertThrowsError(try LANEndpointRules.check(.macvlan(.passthru), parent: "eth0", requestsMAC: false, childrenOnParent: 1)) {
            XCTAssertEqual($0 as? LANModelError, .passthruChildExists(parent: "eth0"))
        }
        XCTAssertFalse(LANEndpointRules.takesMACAddress(.ipvlan(.l2, .bridge)))
        XCTAssertTrue(LANEndpointRules.takesMACAddress(.macvlan(.private)))
    }
}
