import SwiftnetAddress
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetNetworkModel
import XCTest
import SwiftnetLANModel

/// CreateNetwork and DeleteNetwork: what is recorded when, and what is refused before anything is.
final class NetworkLifecycleTests: DriverTestCase {
    func testCreateRecordsTheNetworkBeforeItsBridgeAndMarksItReadyAfterTheFirewall() throws {
        let id = try createNetwork()
        let events = log.all
        let recorded = try XCTUnwrap(log.index(of: "store put network \(id.prefix(4)) creating"), "\(events)")
        let bridge = try XCTUnwrap(log.index(of: "dataplane create bridge \(Self.bridge(id))"), "\(events)")
        let rules = try XCTUnwrap(log.index(of: "firewall apply 1"), "\(events)")
        let ready = try XCTUnwrap(log.index(of: "store put network \(id.prefix(4)) ready"), "\(events)")
        XCTAssertLessThan(recorded, bridge)
        XCTAssertLessThan(bridge, rules)
        XCTAssertLessThan(rules, ready)
        XCTAssertEqual(store.networks[id]?.state, .ready)
        XCTAssertEqual(dataplane.link(Self.bridge(id))?.addresses, [InterfaceAddress(cidr: "10.1.0.1/24")!], "the gateway on the bridge")
        XCTAssertEqual(firewall.networks, [id])
    }

    func testRepeatedCreateWithTheSameSettingsChangesNothing() throws {
        try createNetwork()
        log.clear()
        try createNetwork()
        XCTAssertEqual(log.all, [], "dockerd's retry of an answered create")
    }

    func testCreateOfAnExistingIDWithOtherSettingsIsRefused() throws {
        try createNetwork()
        XCTAssertThrowsError(try createNetwork(subnets: [NetworkSubnet(pool: IPPrefix("10.9.0.0/24")!, gateway: nil)])) { error in
            guard case DriverError.networkExists = error else { return XCTFail("\(error)") }
        }
    }

    func testABridgeNameAnotherNetworkHasIsRefusedAndNothingIsRecorded() throws {
        try createNetwork(1, generic: [NetworkOptions.bridgeNameKey: "lab0"])
        log.clear()
        XCTAssertThrowsError(try createNetwork(2, generic: [NetworkOptions.bridgeNameKey: "lab0"])) { error in
            guard case DriverError.bridgeNameInUse("lab0", let by) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(by.contains("swiftnet network \(Self.id(1).prefix(12))"), by)
        }
        XCTAssertEqual(log.all, [])
        XCTAssertNil(store.networks[Self.id(2)])
    }

    func testABridgeNameAnInterfaceHasIsRefused() throws {
        dataplane.add(ObservedLink(name: "lan0", kind: nil, mtu: 1500, isUp: true, master: nil, group: 0))
        XCTAssertThrowsError(try createNetwork(generic: [NetworkOptions.bridgeNameKey: "lan0"])) { error in
            guard case DriverError.bridgeNameInUse("lan0", by: "an existing interface") = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(store.networks.count, 0)
    }

    func testIsolationThatCannotWorkIsRefusedBeforeAnythingIsRecorded() throws {
        dataplane.setNetfilter(BridgeNetfilterStatus(iptables: nil, ip6tables: nil), available: false)
        XCTAssertThrowsError(try createNetwork(generic: [NetworkOptions.iccKey: "false"])) { error in
            guard case DriverError.bridgeNetfilterUnavailable = error else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(store.networks.count, 0)
        XCTAssertEqual(dataplane.linkNames, [])
        // With icc on, br_netfilter is not needed.
        XCTAssertNoThrow(try createNetwork())
    }

    func testAFailedBridgeLeavesNoRecordAndNoRules() throws {
        dataplane.fail("createBridge")
        XCTAssertThrowsError(try createNetwork())
        XCTAssertEqual(store.networks.count, 0, "the creating record is deleted again")
        XCTAssertEqual(driver.networks.count, 0)
        XCTAssertEqual(firewall.networks, [], "the firewall rendered without it")
    }

    func testAFailedFirewallTakesTheBridgeBack() throws {
        firewall.setFailing(true)
        XCTAssertThrowsError(try createNetwork())
        XCTAssertEqual(dataplane.linkNames, [])
        XCTAssertEqual(store.networks.count, 0)
    }

    func testUnknownModesAreRefusedWithTheModesThatExist() throws {
        XCTAssertThrowsError(try options([DriverMode.key: "vxlan"])) { error in
            XCTAssertEqual("\(error)", "invalid option swiftnet.mode=vxlan: expected one of the modes of this version: bridge, macvlan, ipvlan, overlay")
        }
        let id = try createNetwork(generic: [DriverMode.key: "bridge"])
        XCTAssertEqual(store.networks[id]?.mode, .bridge)
        XCTAssertEqual(try options().mode, .bridge, "bridge when absent")
        XCTAssertEqual(try options(["swiftnet.network": "blue"]).mode, .overlay, "a multi-host name implies the overlay")
    }

    func testAnOverlayWithoutEtcdIsRefusedAndNothingIsRecorded() throws {
        XCTAssertThrowsError(try createNetwork(generic: ["swiftnet.network": "blue"])) { error in
            XCTAssertEqual("\(error)", "swiftnet.mode=overlay is not available: multi-host networks need swiftnet serve --etcd-endpoints")
        }
        XCTAssertEqual(store.networks.count, 0)
        XCTAssertEqual(dataplane.linkNames, [])
    }

    func testDeleteRecordsDeletingBeforeTheBridgeGoesAndTakesLeftEndpointsFirst() throws {
        let id = try createNetwork()
        let endpoint = try createEndpoint(1, network: id)
        log.clear()
        try driver.deleteNetwork(id: id)
        let events = log.all
        let endpointGone = try XCTUnwrap(log.index(of: "store delete endpoint \(endpoint.id.prefix(4))"), "\(events)")
        let deleting = try XCTUnwrap(log.index(of: "store put network \(id.prefix(4)) deleting"), "\(events)")
        let bridge = try XCTUnwrap(log.index(of: "dataplane delete \(Self.bridge(id))"), "\(events)")
        let forgotten = try XCTUnwrap(log.index(of: "store delete network \(id.prefix(4))"), "\(events)")
        XCTAssertLessThan(endpointGone, deleting)
        XCTAssertLessThan(deleting, bridge)
        XCTAssertLessThan(bridge, forgotten)
        XCTAssertEqual(dataplane.linkNames, [])
        XCTAssertEqual(firewall.networks, [])
    }

    func testDeleteLeavesABridgeOfTheSameNameItDidNotMake() throws {
        let id = try createNetwork()
        dataplane.update(Self.bridge(id)) { $0.group = 0 }  // replaced by someone else's meanwhile
        try driver.deleteNetwork(id: id)
        XCTAssertNotNil(dataplane.link(Self.bridge(id)))
        XCTAssertNil(store.networks[id])
    }

    func testDeletingAnUnknownNetworkIsNoError() throws {
        XCTAssertNoThrow(try driver.deleteNetwork(id: Self.id(77)))
        XCTAssertEqual(log.all, [])
    }

    func testRecordsSurviveARestart() throws {
        let id = try createNetwork()
        let endpoint = try createEndpoint(1, network: id)
        let restarted = try makeDriver()
        XCTAssertEqual(restarted.networks.map(\.id), [id])
        XCTAssertEqual(restarted.endpoint(endpoint.id)?.state, .ready)
    }
}
