import XCTest
import SwiftnetAddress
@testable import SwiftnetLANModel

final class LANJoinAnswerTests: XCTestCase {
    let v4 = IPPrefix("192.168.1.0/24")!, gw4 = IPAddress("192.168.1.1")!
    let v6 = IPPrefix("fd00:1::/64")!, gw6 = IPAddress("fd00:1::1")!

    func testLayer2ModesReturnTheGateway() {
        for kind: LANLinkKind in [.macvlan(.bridge), .macvlan(.passthru), .ipvlan(.l2, .private)] {
            XCTAssertEqual(LANJoinAnswer.decide(kind, isInternal: false, ipv4Subnet: v4, gatewayIPv4: gw4, ipv6Subnet: v6, gatewayIPv6: gw6),
                           LANJoinAnswer(gatewayIPv4: gw4, gatewayIPv6: gw6, connectedRoutes: [], disableGatewayService: true), "\(kind)")
        }
    }

    func testLayer2WithoutGatewayGetsAConnectedDefaultRoute() {
        XCTAssertEqual(LANJoinAnswer.decide(.macvlan(.bridge), isInternal: false, ipv4Subnet: v4, gatewayIPv4: nil, ipv6Subnet: v6, gatewayIPv6: gw6),
                       LANJoinAnswer(gatewayIPv6: gw6, connectedRoutes: [IPPrefix("0.0.0.0/0")!]))
        XCTAssertEqual(LANJoinAnswer.decide(.ipvlan(.l2, .bridge), isInternal: false, ipv4Subnet: v4, gatewayIPv4: nil, ipv6Subnet: nil, gatewayIPv6: nil),
                       LANJoinAnswer(connectedRoutes: [IPPrefix("0.0.0.0/0")!]))
    }

    func testRoutedIPvlanNeverReturnsAGateway() {
        for mode in [IPvlanMode.l3, .l3s] {
            XCTAssertEqual(LANJoinAnswer.decide(.ipvlan(mode, .bridge), isInternal: false, ipv4Subnet: v4, gatewayIPv4: gw4, ipv6Subnet: v6, gatewayIPv6: gw6),
                           LANJoinAnswer(connectedRoutes: [IPPrefix("0.0.0.0/0")!, IPPrefix("::/0")!], disableGatewayService: true))
            XCTAssertEqual(LANJoinAnswer.decide(.ipvlan(mode, .vepa), isInternal: false, ipv4Subnet: nil, gatewayIPv4: nil, ipv6Subnet: v6, gatewayIPv6: nil),
                           LANJoinAnswer(connectedRoutes: [IPPrefix("::/0")!]))
        }
    }

    func testInternalGetsNeither() {
        for kind: LANLinkKind in [.macvlan(.bridge), .ipvlan(.l3, .bridge)] {
            XCTAssertEqual(LANJoinAnswer.decide(kind, isInternal: true, ipv4Subnet: v4, gatewayIPv4: gw4, ipv6Subnet: v6, gatewayIPv6: gw6),
                           LANJoinAnswer(disableGatewayService: true))
        }
    }

    func testHostShimPlan() throws {
        let plan = try HostShimPlan.plan(.macvlan(.bridge), parent: try ParentLink("eth0"), address: IPAddress("192.168.1.223")!,
                                         containerRange: IPPrefix("192.168.1.192/27")!)
        XCTAssertEqual(plan, HostShimPlan(childKind: .macvlan(.bridge), address: IPAddress("192.168.1.223")!, prefixLength: 32,
                                          routes: [IPPrefix("192.168.1.192/27")!]))
        XCTAssertEqual(try HostShimPlan.plan(.ipvlan(.l2, .bridge), parent: try ParentLink("eth0"), address: IPAddress("fd00:1::fe")!,
                                             containerRange: IPPrefix("fd00:1::/64")!).prefixLength, 128)
        XCTAssertThrowsError(try HostShimPlan.plan(.macvlan(.bridge), parent: try ParentLink("eth0"), address: IPAddress("fd00::1")!,
                                                   containerRange: IPPrefix("192.168.1.0/24")!)) {
            guard case .hostShimUnsupported? = $0 as? LANModelError else { return XCTFail("\($0)") }
        }
    }
}
