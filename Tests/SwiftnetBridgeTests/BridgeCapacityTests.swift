import SwiftnetAddress
import SwiftnetBridge
import SwiftnetNetworkModel
import XCTest

/// A Linux bridge holds 1,023 ports: the endpoint past that is refused by the records, with
/// the limit and the network named, before anything is made.
final class BridgeCapacityTests: DriverTestCase {
    static func address(_ n: Int) -> String { "10.1.\(n / 250).\(n % 250 + 2)/16" }

    func testTheEndpointPastTheBridgeLimitIsRefusedByNameAndNothingIsMade() throws {
        let network = try createNetwork(subnets: [NetworkSubnet(pool: IPPrefix("10.1.0.0/16")!, gateway: IPAddress("10.1.0.1")!)])
        for n in 0..<1_023 { try createEndpoint(n, network: network, address: Self.address(n)) }
        let refused = Self.id(1000 + 1_023)
        XCTAssertThrowsError(try createEndpoint(1_023, network: network, address: Self.address(1_023))) { error in
            guard case DriverError.bridgeFull(let id, let bridge, let limit) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(id, network)
            XCTAssertEqual(bridge, Self.bridge(network))
            XCTAssertEqual(limit, 1_023)
            XCTAssertTrue("\(error)".contains("1023"), "\(error)")
            XCTAssertTrue("\(error)".contains(String(network.prefix(12))), "\(error)")
        }
        XCTAssertNil(store.endpoints[refused])
        XCTAssertNil(dataplane.link(Self.hostVeth(refused)))
        XCTAssertEqual(store.endpoints.count, 1_023)

        // A repeat of an endpoint already there is still answered.
        XCTAssertNoThrow(try createEndpoint(0, network: network, address: Self.address(0)))
        // One gone makes room for one.
        try driver.deleteEndpoint(networkID: network, endpointID: Self.id(1000))
        XCTAssertNoThrow(try createEndpoint(1_023, network: network, address: Self.address(1_023)))
    }

    /// Other devices on the bridge take ports too: an overlay network's VXLAN device leaves
    /// room for 1,022 endpoints.
    func testOtherPortsOnTheBridgeLeaveRoomForFewerEndpoints() {
        XCTAssertTrue(BridgeMode.hasRoom(endpoints: 1_022))
        XCTAssertFalse(BridgeMode.hasRoom(endpoints: 1_023))
        XCTAssertFalse(BridgeMode.hasRoom(endpoints: 1_022, otherPorts: 1))
        XCTAssertTrue(BridgeMode.hasRoom(endpoints: 1_021, otherPorts: 1))
    }
}
