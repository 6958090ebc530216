import SwiftnetAddress
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetKernel
import SwiftnetLANModel
import SwiftnetNetworkModel
import XCTest

/// The macvlan and ipvlan modes' decisions on fakes: what CreateNetwork refuses before any
/// record, what the records say, the order of records and effects, Join's answers.
final class LANModeTests: DriverTestCase {
    override func setUpWithError() throws {
        try super.setUpWithError()
        lan.addHostLink("eth0")
        lan.addHostLink("eth1")
    }

    func macvlan(_ extra: [String: String] = [:]) -> [String: String] {
        ["swiftnet.mode": "macvlan", "parent": "eth0"].merging(extra) { _, new in new }
    }

    func testMacvlanNetworkRecordsItsParentAndMakesNoLinkOrRules() throws {
        let id = try createNetwork(generic: macvlan())
        let network = try XCTUnwrap(driver.networks.first)
        XCTAssertEqual(network.mode, .macvlan)
        XCTAssertEqual(network.bridge, "eth0")
        XCTAssertFalse(network.ownsLink)
        XCTAssertEqual(network.state, .ready)
        XCTAssertNil(log.index(of: "kernel: create"), "\(log.all)")
        XCTAssertEqual(firewall.networks, [], "no rules for a LAN network")
        try driver.deleteNetwork(id: id)
        XCTAssertTrue(try lan.linkExists("eth0"), "the host's parent is never deleted")
    }

    func testIPvlanRefusedWithTheKernelsReasonAndNothingRecorded() throws {
        lan.lacking.withLock { _ = $0.insert(.ipvlan) }
        XCTAssertThrowsError(try createNetwork(generic: ["swiftnet.mode": "ipvlan", "parent": "eth0"])) { error in
            XCTAssertTrue("\(error)".contains("CONFIG_IPVLAN"), "\(error)")
        }
        XCTAssertTrue(driver.networks.isEmpty)
        XCTAssertTrue(store.networks.isEmpty)
    }

    func testVLANParentRefusedWhenTheKernelLacks8021QAndNothingLeft() throws {
        lan.lacking.withLock { _ = $0.insert(.vlan) }
        XCTAssertThrowsError(try createNetwork(generic: macvlan(["parent": "eth0.50"]))) { error in
            XCTAssertTrue("\(error)".contains("CONFIG_VLAN_8021Q"), "\(error)")
        }
        XCTAssertFalse(try lan.linkExists("eth0.50"))
        XCTAssertTrue(store.networks.isEmpty)
    }

    func testVLANParentIsMadeAfterTheRecordAndDeletedWithItsLastNetwork() throws {
        let first = try createNetwork(1, generic: macvlan(["parent": "eth0.50"]))
        XCTAssertLessThan(try XCTUnwrap(log.index(of: "store put network")), try XCTUnwrap(log.index(of: "kernel: create parent eth0.50")))
        let second = try createNetwork(2, generic: macvlan(["parent": "eth0.50"]), subnets: [NetworkSubnet(pool: IPPrefix("10.2.0.0/24")!, gateway: nil)])
        XCTAssertTrue(driver.networks.allSatisfy(\.ownsLink), "both share the parent swiftnet made")
        try driver.deleteNetwork(id: first)
        XCTAssertTrue(try lan.linkExists("eth0.50"), "still used by the second network")
        try driver.deleteNetwork(id: second)
        XCTAssertFalse(try lan.linkExists("eth0.50"))
    }

    func testMissingParentRefused() throws {
        XCTAssertThrowsError(try createNetwork(generic: macvlan(["parent": "eth9"]))) { error in
            XCTAssertEqual(error as? LANModelError, .parentMissing("eth9"))
        }
    }

    func testNoParentMakesAnInternalNetworkOnADummy() throws {
        let id = try createNetwork(generic: ["swiftnet.mode": "macvlan"])
        let dummy = "dm-" + id.prefix(12)
        XCTAssertTrue(try lan.linkExists(dummy))
        let endpoint = try createEndpoint(1, network: id)
        let answer = try driver.join(networkID: id, endpointID: endpoint.id, sandboxKey: "/x", options: nil)
        XCTAssertNil(answer.gateway)
        XCTAssertEqual(answer.connectedRoutes, [])
        try driver.deleteEndpoint(networkID: id, endpointID: endpoint.id)
        try driver.deleteNetwork(id: id)
        XCTAssertFalse(try lan.linkExists(dummy))
    }

    func testPassthruRefusesASecondNetworkAndASecondContainer() throws {
        let id = try createNetwork(1, generic: macvlan(["macvlan_mode": "passthru"]))
        XCTAssertThrowsError(try createNetwork(2, generic: macvlan())) { error in
            XCTAssertTrue("\(error)".contains("passthru"), "\(error)")
        }
        let first = try createEndpoint(1, network: id)
        XCTAssertNil(first.mac, "passthru keeps the parent's MAC")
        XCTAssertThrowsError(try createEndpoint(2, network: id, address: "10.1.0.3/24")) { error in
            XCTAssertEqual(error as? LANModelError, .passthruChildExists(parent: "eth0"))
        }
    }

    func testMacvlanAndIPvlanCannotShareAParent() throws {
        try createNetwork(1, generic: macvlan())
        XCTAssertThrowsError(try createNetwork(2, generic: ["swiftnet.mode": "ipvlan", "parent": "eth0"])) { error in
            XCTAssertTrue("\(error)".contains("macvlan and ipvlan"), "\(error)")
        }
        XCTAssertNoThrow(try createNetwork(3, generic: ["swiftnet.mode": "ipvlan", "parent": "eth1"]))
        XCTAssertThrowsError(try createNetwork(4, generic: ["swiftnet.mode": "ipvlan", "parent": "eth1"])) { error in
            XCTAssertTrue("\(error)".contains("one network per parent"), "\(error)")
        }
    }

    func testMacvlanChildGetsTheDerivedMACAndJoinAnswersTheGateway() throws {
        let id = try createNetwork(generic: macvlan())
        let endpoint = try createEndpoint(1, network: id, address: "10.1.0.7/24")
        XCTAssertEqual(endpoint.mac?.description, "02:42:0a:01:00:07")
        XCTAssertNotNil(log.index(of: "kernel: create macvlan mode bridge swc\(endpoint.id.prefix(11)) on eth0 mac 02:42:0a:01:00:07"), "\(log.all)")
        let answer = try driver.join(networkID: id, endpointID: endpoint.id, sandboxKey: "/x", options: nil)
        XCTAssertEqual(answer.sourceName, "swc" + endpoint.id.prefix(11))
        XCTAssertEqual(answer.gateway, IPAddress("10.1.0.1"))
        XCTAssertTrue(answer.disableGatewayService)
    }

    func testIPvlanRefusesAMACAndReportsNone() throws {
        let id = try createNetwork(generic: ["swiftnet.mode": "ipvlan", "parent": "eth0", "ipvlan_mode": "l3"])
        XCTAssertThrowsError(try createEndpoint(1, network: id, mac: "02:00:00:00:00:01")) { error in
            XCTAssertEqual(error as? LANModelError, .macAddressOnIPvlan)
        }
        let endpoint = try createEndpoint(2, network: id)
        XCTAssertNil(endpoint.mac)
        XCTAssertNotNil(log.index(of: "kernel: create ipvlan mode l3 flag bridge swc\(endpoint.id.prefix(11)) on eth0 mac none"), "\(log.all)")
        let answer = try driver.join(networkID: id, endpointID: endpoint.id, sandboxKey: "/x", options: nil)
        XCTAssertNil(answer.gateway, "l3: no gateway")
        XCTAssertEqual(answer.connectedRoutes, [IPPrefix("0.0.0.0/0")!])
    }

    func testDeleteEndpointToleratesAChildGoneWithItsContainer() throws {
        let id = try createNetwork(generic: macvlan())
        let endpoint = try createEndpoint(1, network: id)
        lan.moveIntoContainer("swc" + endpoint.id.prefix(11))
        XCTAssertNoThrow(try driver.deleteEndpoint(networkID: id, endpointID: endpoint.id))
        driver.drain()
        XCTAssertNil(driver.endpoint(endpoint.id))
    }

    func testHostShimTakesTheAuxAddressAndGoesWithTheNetwork() throws {
        XCTAssertThrowsError(try createNetwork(1, generic: macvlan(["swiftnet.host_shim": "true"]))) { error in
            XCTAssertTrue("\(error)".contains("--aux-address host_shim="), "\(error)")
        }
        let id = try createNetwork(2, generic: macvlan(["swiftnet.host_shim": "true"]), auxAddresses: ["host_shim": IPAddress("10.1.0.250")!])
        let shim = "sws-" + id.prefix(10)
        XCTAssertNotNil(log.index(of: "kernel: create shim \(shim) macvlan mode bridge on eth0 10.1.0.250/32 routes 10.1.0.0/24"), "\(log.all)")
        XCTAssertEqual(driver.networks.first?.hostShim, InterfaceAddress(cidr: "10.1.0.250/32"))
        try driver.deleteNetwork(id: id)
        XCTAssertFalse(try lan.linkExists(shim))
    }

    func testStartUpRecreatesOwnedParentAndShimAndFindsAMissingParent() throws {
        let owned = try createNetwork(1, generic: macvlan(["parent": "eth0.50", "swiftnet.host_shim": "true"]),
                                      auxAddresses: ["host_shim": IPAddress("10.1.0.250")!])
        let shim = "sws-" + owned.prefix(10)
        try createNetwork(2, generic: macvlan(["parent": "eth1"]), subnets: [NetworkSubnet(pool: IPPrefix("10.2.0.0/24")!, gateway: nil)])
        // A reboot: the parent swiftnet made and the shim are gone; so is the host's eth1.
        dataplane.namespace.withLock { namespace in
            for name in ["eth0.50", shim, "eth1"] { namespace.links[name] = nil }
        }
        let findings = try driver.diagnose().findings
        XCTAssertEqual(Set(findings.map(\.kind)), [.parentMissing], "\(findings)")
        driver = try makeDriver()
        let repairs = driver.reconcile().repairs
        XCTAssertTrue(try lan.linkExists("eth0.50"), "\(repairs)")
        XCTAssertTrue(try lan.linkExists(shim), "\(repairs)")
        XCTAssertTrue(repairs.contains { !$0.succeeded && $0.line.contains("eth1 is missing") }, "\(repairs.map(\.line))")
    }

    func testLeftoverChildIsSweptAtStartUp() throws {
        let id = try createNetwork(generic: macvlan())
        let endpoint = try createEndpoint(1, network: id)
        // A crash after the record of its deletion: the record goes, the child is left.
        store.contents.withLock { _ = $0.endpoints.removeValue(forKey: endpoint.id) }
        driver = try makeDriver()
        let repairs = driver.reconcile().repairs
        XCTAssertFalse(try lan.linkExists("swc" + endpoint.id.prefix(11)), "\(repairs.map(\.line))")
    }

    func testPortsAreNotPublishedOnALANNetwork() throws {
        let id = try createNetwork(generic: macvlan())
        let endpoint = try createEndpoint(1, network: id)
        try driver.programExternalConnectivity(networkID: id, endpointID: endpoint.id,
                                               options: ["com.docker.network.portmap": .array([.object(["Proto": .number(6), "Port": .number(80), "HostPort": .number(8080)])])])
        XCTAssertEqual(driver.endpoint(endpoint.id)?.publishedPorts, [])
    }
}
