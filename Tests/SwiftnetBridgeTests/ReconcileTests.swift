import SwiftnetAddress
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetNetworkModel
import XCTest

/// Start-up reconciliation (and `doctor --fix`): typed repairs per phase.
final class ReconcileTests: DriverTestCase {
    func testAfterARebootBridgesComeBackAndEndpointsOfTheEarlierBootAreFreed() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        for name in dataplane.linkNames { dataplane.remove(name) }  // the reboot
        let restarted = try makeDriver(bootID: "boot-later")
        let result = restarted.reconcile()
        XCTAssertTrue(result.repairs.contains(Repair(subject: "network \(network.prefix(12))",
                                                     action: "recreated bridge \(Self.bridge(network)) (network \(network.prefix(12)))")),
                      "\(lines(result.repairs))")
        XCTAssertEqual(result.freed.map(\.endpoint.id), [endpoint.id])
        XCTAssertEqual(result.freed.first?.reason, "recorded in an earlier boot")
        XCTAssertNil(store.endpoints[endpoint.id])
        XCTAssertNotNil(dataplane.link(Self.bridge(network)))
        XCTAssertTrue(result.repairs.allSatisfy(\.succeeded), "\(lines(result.repairs))")
    }

    func testANetworkStillBeingCreatedIsRolledBack() throws {
        let network = try createNetwork()
        var record = try XCTUnwrap(store.networks[network])
        record.state = .creating
        try store.commit(.putNetwork(record))
        let result = try makeDriver().reconcile()
        XCTAssertEqual(Array(lines(result.repairs).prefix(2)),
                       ["deleted bridge \(Self.bridge(network)) of a network being created",
                        "rolled back unanswered creation of network \(network.prefix(12))"])
        XCTAssertNil(store.networks[network])
        XCTAssertNil(dataplane.link(Self.bridge(network)))
    }

    func testANetworkBeingDeletedIsFinishedWithItsEndpoints() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        var record = try XCTUnwrap(store.networks[network])
        record.state = .deleting
        try store.commit(.putNetwork(record))
        let result = try makeDriver().reconcile()
        XCTAssertTrue(lines(result.repairs).contains("finished deleting network \(network.prefix(12))"), "\(lines(result.repairs))")
        XCTAssertNil(store.endpoints[endpoint.id])
        XCTAssertEqual(dataplane.linkNames, [])
    }

    func testAHalfCreatedEndpointIsRemoved() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        var record = try XCTUnwrap(store.endpoints[endpoint.id])
        record.state = .creating
        try store.commit(.putEndpoint(record))
        let result = try makeDriver().reconcile()
        XCTAssertEqual(result.repairs.first { $0.subject == "endpoint \(endpoint.id.prefix(12))" },
                       Repair(subject: "endpoint \(endpoint.id.prefix(12))",
                              action: "removed half-created endpoint \(endpoint.id.prefix(12)) (\(Self.hostVeth(endpoint.id)))"))
        XCTAssertNil(store.endpoints[endpoint.id])
        XCTAssertNil(dataplane.link(Self.hostVeth(endpoint.id)))
        XCTAssertEqual(result.freed, [], "its address was never answered as held: the IPAM's own sweep takes it")
    }

    func testABridgeNameTakenBySomeoneElseIsAFailedRepairAndGetsNoRulesNorEndpoints() throws {
        let network = try createNetwork()
        dataplane.remove(Self.bridge(network))
        dataplane.add(ObservedLink(name: Self.bridge(network), kind: "bridge", mtu: 1500, isUp: true, master: nil, group: 0))
        let result = driver.reconcile()
        let failed = try XCTUnwrap(result.repairs.first { !$0.succeeded }, "\(lines(result.repairs))")
        XCTAssertEqual(failed.subject, "network \(network.prefix(12))")
        guard case .failed(let reason) = failed.outcome else { return XCTFail() }
        XCTAssertTrue(reason.contains("is taken by"), reason)
        XCTAssertTrue(failed.line.hasPrefix("could not repair network \(network.prefix(12)): its bridge name"), failed.line)
        XCTAssertEqual(firewall.networks, [], "rules would name someone else's interface")
        XCTAssertThrowsError(try createEndpoint(1, network: network)) { error in
            guard case DriverError.bridgeNameInUse = error else { return XCTFail("\(error)") }
        }
        // Freed again: the next reconciliation takes the name back and the rules return.
        dataplane.remove(Self.bridge(network))
        _ = driver.reconcile()
        XCTAssertEqual(firewall.networks, [network])
        XCTAssertNoThrow(try createEndpoint(1, network: network))
    }

    func testADetachedVethIsPutBackOnItsBridge() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        dataplane.update(Self.hostVeth(endpoint.id)) { $0.master = nil }
        let result = driver.reconcile()
        XCTAssertTrue(result.repairs.contains(Repair(subject: "endpoint \(endpoint.id.prefix(12))",
                                                     action: "attached \(Self.hostVeth(endpoint.id)) to \(Self.bridge(network))")),
                      "\(lines(result.repairs))")
        XCTAssertEqual(dataplane.link(Self.hostVeth(endpoint.id))?.master, Self.bridge(network))
    }

    func testLinksOfThisServerNoRecordOwnsAreDeletedAndOthersLeftAlone() throws {
        try createNetwork()
        dataplane.add(ObservedLink(name: "swvdeadbeef000", kind: "veth", mtu: 1500, isUp: true, master: nil, group: dataplane.group))
        dataplane.add(ObservedLink(name: "eth0", kind: nil, mtu: 1500, isUp: true, master: nil, group: 0))
        let result = driver.reconcile()
        XCTAssertTrue(lines(result.repairs).contains("deleted swvdeadbeef000, which no record owns"), "\(lines(result.repairs))")
        XCTAssertNil(dataplane.link("swvdeadbeef000"))
        XCTAssertNotNil(dataplane.link("eth0"))
    }

    func testAFailedRepairIsTypedNotAStringToSort() throws {
        let network = try createNetwork()
        dataplane.fail("ensureBridge")
        let result = driver.reconcile()
        let failed = try XCTUnwrap(result.repairs.first { $0.subject == "network \(network.prefix(12))" })
        XCTAssertEqual(failed.outcome, .failed(reason: "injected failure: ensureBridge"))
        XCTAssertEqual(failed.line, "could not repair network \(network.prefix(12)) (\(Self.bridge(network))): injected failure: ensureBridge")
    }

    func testTheFirewallIsReportedOnlyWhenItDiffered() throws {
        try createNetwork()
        firewall.installed.withLock { $0.changes = 0 }
        XCTAssertEqual(lines(driver.reconcile().repairs), [String](), "nothing to repair, nothing reported")
        firewall.installed.withLock { $0.changes = 3 }
        XCTAssertEqual(driver.reconcile().repairs, [Repair(subject: "firewall", action: "re-applied the firewall (3 rules differed)")])
    }

    func testWhenTheLinksCannotBeListedTheFirewallIsStillRendered() throws {
        try createNetwork()
        let applied = firewall.applied
        dataplane.fail("observe")
        let result = driver.reconcile()
        XCTAssertEqual(result.repairs.first?.subject, "links")
        XCTAssertFalse(result.repairs.first?.succeeded ?? true)
        XCTAssertEqual(firewall.applied, applied + 1)
    }
}
