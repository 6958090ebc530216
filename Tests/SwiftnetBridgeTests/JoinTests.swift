import SwiftnetAddress
import SwiftnetBridge
import SwiftnetJSON
import XCTest

/// Join's answer: the interface to move and the container's way out.
final class JoinTests: DriverTestCase {
    func testJoinGivesTheGatewaysOfTheEndpointsSubnets() throws {
        let network = try createNetwork(subnets: [Self.subnet, Self.subnet6])
        let endpoint = try createEndpoint(1, network: network, addressIPv6: "fd00:1::5/64")
        let answer = try driver.join(networkID: network, endpointID: endpoint.id, sandboxKey: "/var/run/docker/netns/x", options: nil)
        XCTAssertEqual(answer, JoinAnswer(sourceName: Self.containerVeth(endpoint.id), destinationPrefix: "eth",
                                          gateway: IPAddress("10.1.0.1"), gatewayIPv6: IPAddress("fd00:1::1")))
        XCTAssertEqual(answer.connectedRoutes, [])
        XCTAssertFalse(answer.disableGatewayService, "a bridge network leaves dockerd's gateway service alone")
    }

    func testAnInternalNetworkGivesNoWayOut() throws {
        let network = try createNetwork(isInternal: true)
        let endpoint = try createEndpoint(1, network: network)
        let answer = try driver.join(networkID: network, endpointID: endpoint.id, sandboxKey: "/x", options: nil)
        XCTAssertNil(answer.gateway)
        XCTAssertNil(answer.gatewayIPv6)
    }

    func testTheInterfacePrefixOptionNamesTheContainerInterface() throws {
        let network = try createNetwork(generic: ["com.docker.network.container_iface_prefix": "lan"])
        let endpoint = try createEndpoint(1, network: network)
        XCTAssertEqual(try driver.join(networkID: network, endpointID: endpoint.id, sandboxKey: "/x", options: nil).destinationPrefix, "lan")
    }

    func testJoinRecordsTheSandboxAndThePortsOldDockerdsSendThere() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        _ = try driver.join(networkID: network, endpointID: endpoint.id, sandboxKey: "/run/netns/a", options: Self.portMap(container: 80, host: 8080))
        XCTAssertEqual(store.endpoints[endpoint.id]?.sandboxKey, "/run/netns/a")
        XCTAssertEqual(store.endpoints[endpoint.id]?.requestedPorts.map(\.containerPort), [80])
        try driver.leave(networkID: network, endpointID: endpoint.id)
        XCTAssertNil(store.endpoints[endpoint.id]?.sandboxKey)
    }

    func testJoiningAnUnknownEndpointIsRefused() throws {
        let network = try createNetwork()
        XCTAssertThrowsError(try driver.join(networkID: network, endpointID: Self.id(4444), sandboxKey: "/x", options: nil)) { error in
            guard case DriverError.unknownEndpoint = error else { return XCTFail("\(error)") }
        }
    }
}
