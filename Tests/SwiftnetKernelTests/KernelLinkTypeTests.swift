import XCTest
import SwiftnetLANModel
@testable import SwiftnetKernel

/// Which link types a network needs checked at CreateNetwork (no root).
final class KernelLinkTypeTests: XCTestCase {
    func testRequiredLinkTypes() throws {
        let eth0 = ParentPlan.existing(try ParentLink("eth0"))
        let vlan = ParentPlan.createVLAN(try ParentLink("eth0.50").vlanSubinterface())
        let dummy = ParentPlan.createDummy(name: "dm-0123456789ab")
        XCTAssertEqual(KernelLinkType.required(by: .macvlan(.bridge), parent: eth0), [.macvlan])
        XCTAssertEqual(KernelLinkType.required(by: .ipvlan(.l3, .bridge), parent: eth0), [.ipvlan])
        XCTAssertEqual(KernelLinkType.required(by: .macvlan(.private), parent: vlan), [.macvlan, .vlan])
        XCTAssertEqual(KernelLinkType.required(by: .ipvlan(.l2, .bridge), parent: dummy), [.ipvlan, .dummy])
    }
}
