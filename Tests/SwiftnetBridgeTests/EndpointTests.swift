import SwiftnetAddress
import SwiftnetBridge
import SwiftnetJSON
import SwiftnetNetworkModel
import XCTest

/// CreateEndpoint and DeleteEndpoint: MAC and name choices, refusals, records before effects.
final class EndpointTests: DriverTestCase {
    func testTheEndpointIsRecordedBeforeItsVethAndReadyAfter() throws {
        let network = try createNetwork()
        log.clear()
        let endpoint = try createEndpoint(1, network: network)
        XCTAssertEqual(log.all, ["store put endpoint \(endpoint.id.prefix(4)) creating",
                                 "dataplane create veth \(Self.hostVeth(endpoint.id))",
                                 "store put endpoint \(endpoint.id.prefix(4)) ready"])
        XCTAssertEqual(dataplane.link(Self.hostVeth(endpoint.id))?.master, Self.bridge(network))
        XCTAssertEqual(dataplane.link(Self.hostVeth(endpoint.id))?.alias, endpoint.id, "the veth names its endpoint")
    }

    func testWithoutADockerMACTheMACIsDerivedFromTheAddressAndReturned() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network, address: "10.1.0.7/24")
        let derived = MACAddress(derivedFrom: IPAddress("10.1.0.7")!)
        XCTAssertEqual(endpoint.mac, derived)
        XCTAssertEqual(dataplane.mac(of: Self.containerVeth(endpoint.id)), derived)
    }

    func testADockerMACIsUsedAndNotReturned() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network, mac: "02:11:22:33:44:55")
        XCTAssertNil(endpoint.mac, "dockerd chose it; returning it again is refused by some versions")
        XCTAssertEqual(dataplane.mac(of: Self.containerVeth(endpoint.id)), MACAddress("02:11:22:33:44:55"))
        XCTAssertEqual(store.endpoints[endpoint.id]?.macFromDocker, true)
    }

    func testAMACAnotherEndpointOfTheNetworkHasIsReplacedByTheNextDerivedOne() throws {
        let network = try createNetwork()
        let address = IPAddress("10.1.0.9")!
        // The first endpoint takes (through the options, as dockerd's default MAC) the MAC the second's address derives.
        let taken = MACAddress(derivedFrom: address)
        try createEndpoint(1, network: network, address: "10.1.0.8/24",
                           options: ["com.docker.network.endpoint.macaddress": .string(taken.description)])
        let second = try createEndpoint(2, network: network, address: "10.1.0.9/24")
        XCTAssertEqual(second.mac, MACAddress.derived(from: address, attempt: 1))
    }

    func testADockerMACInUseOnTheNetworkIsRefusedAndNothingIsMade() throws {
        let network = try createNetwork()
        try createEndpoint(1, network: network, address: "10.1.0.2/24", mac: "02:11:22:33:44:55")
        log.clear()
        XCTAssertThrowsError(try createEndpoint(2, network: network, address: "10.1.0.3/24", mac: "02:11:22:33:44:55")) { error in
            guard case DriverError.macInUse = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(log.all, [])
    }

    func testTheMACOfAnEndpointBeingDeletedIsFree() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network, address: "10.1.0.2/24", mac: "02:11:22:33:44:55")
        try driver.deleteEndpoint(networkID: network, endpointID: first.id)
        XCTAssertNoThrow(try createEndpoint(2, network: network, address: "10.1.0.3/24", mac: "02:11:22:33:44:55"))
    }

    func testIDsSharingTheDigitsThatNameTheVethsAreRefused() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network)
        let twin = String(first.id.prefix(11)) + String(repeating: "f", count: 53)
        XCTAssertThrowsError(try driver.createEndpoint(.init(networkID: network, endpointID: twin, address: "10.1.0.3/24",
                                                             addressIPv6: "", macAddress: "", options: nil))) { error in
            guard case DriverError.vethNameInUse(_, _, let by) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(by, first.id)
        }
        XCTAssertNotNil(dataplane.link(Self.hostVeth(first.id)), "the first endpoint's veth is untouched")
    }

    func testARepeatedCreateReturnsTheSameAnswerAndOtherAddressesAreRefused() throws {
        let network = try createNetwork()
        let first = try createEndpoint(1, network: network)
        log.clear()
        XCTAssertEqual(try createEndpoint(1, network: network).mac, first.mac)
        XCTAssertEqual(log.all, [])
        XCTAssertThrowsError(try createEndpoint(1, network: network, address: "10.1.0.99/24")) { error in
            guard case DriverError.endpointExists = error else { return XCTFail("\(error)") }
        }
    }

    func testAnEndpointOfAnUnknownNetworkIsRefused() throws {
        XCTAssertThrowsError(try createEndpoint(1, network: Self.id(5))) { error in
            guard case DriverError.unknownNetwork = error else { return XCTFail("\(error)") }
        }
    }

    func testABadAddressIsRefusedBeforeAnythingIsRecorded() throws {
        let network = try createNetwork()
        log.clear()
        XCTAssertThrowsError(try createEndpoint(1, network: network, address: "10.1.0.2"))
        XCTAssertEqual(log.all, [])
    }

    func testAFailedVethLeavesNoRecord() throws {
        let network = try createNetwork()
        dataplane.fail("createEndpoint")
        XCTAssertThrowsError(try createEndpoint(1, network: network))
        XCTAssertEqual(store.endpoints.count, 0)
        XCTAssertEqual(driver.endpoints.count, 0)
    }

    func testDeleteRetiresTheVethAtOnceAndDeletesItWithTheBatch() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        try driver.deleteEndpoint(networkID: network, endpointID: endpoint.id)
        XCTAssertEqual(dataplane.link(Self.hostVeth(endpoint.id))?.group, dataplane.retiredGroup)
        XCTAssertEqual(store.endpoints[endpoint.id]?.state, .deleting, "recorded before the veth goes")
        driver.drain()
        XCTAssertNil(dataplane.link(Self.hostVeth(endpoint.id)))
        XCTAssertNil(store.endpoints[endpoint.id])
    }

    func testAFailedBatchDeleteFallsBackToOneByOne() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        dataplane.fail("deleteRetired")
        try driver.deleteEndpoint(networkID: network, endpointID: endpoint.id)
        driver.drain()
        XCTAssertNil(dataplane.link(Self.hostVeth(endpoint.id)))
        XCTAssertNil(store.endpoints[endpoint.id])
    }

    /// A delete that failed after it was recorded (the firewall refused, so the endpoint's
    /// published port still led to its address) used to be answered "not held; nothing to
    /// do" when dockerd tried again, the endpoint left half-deleted with its rules until a
    /// restart. The retry finishes it.
    func testADeleteRetriedAfterAFailureFinishesIt() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        try driver.programExternalConnectivity(networkID: network, endpointID: endpoint.id, options: Self.portMap(container: 80, host: 8080))
        firewall.setFailing(true)
        XCTAssertThrowsError(try driver.deleteEndpoint(networkID: network, endpointID: endpoint.id))
        XCTAssertEqual(store.endpoints[endpoint.id]?.state, .deleting)
        XCTAssertEqual(firewall.ports[endpoint.id]?.count, 1, "its port is still programmed")
        firewall.setFailing(false)
        let applied = firewall.applied
        try driver.deleteEndpoint(networkID: network, endpointID: endpoint.id)
        XCTAssertEqual(firewall.applied, applied + 1, "the firewall applied again (an endpoint being deleted has no rules)")
        driver.drain()
        XCTAssertNil(dataplane.link(Self.hostVeth(endpoint.id)))
        XCTAssertNil(store.endpoints[endpoint.id])
        XCTAssertNil(driver.endpoint(endpoint.id))
        // A third time: nothing is held any more.
        try driver.deleteEndpoint(networkID: network, endpointID: endpoint.id)
    }
}
