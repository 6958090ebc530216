import SwiftnetBridge
import SwiftnetDiagnosis
import XCTest

/// `swiftnet gc`: endpoints whose container is gone.
final class GarbageCollectionTests: DriverTestCase {
    func testAnEndpointWhoseVethIsGoneIsFreedAndItsPortsLeaveTheFirewall() throws {
        let network = try createNetwork()
        let gone = try createEndpoint(1, network: network, address: "10.1.0.2/24")
        let alive = try createEndpoint(2, network: network, address: "10.1.0.3/24")
        try driver.programExternalConnectivity(networkID: network, endpointID: gone.id, options: Self.portMap(container: 80, host: 8080))
        dataplane.remove(Self.hostVeth(gone.id))  // its namespace was destroyed while swiftnet was away
        let (freed, failures) = driver.collectGarbage(dryRun: false)
        XCTAssertEqual(freed.map(\.endpoint.id), [gone.id])
        XCTAssertEqual(freed.first?.reason, "its veth \(Self.hostVeth(gone.id)) is gone")
        XCTAssertEqual(failures, [])
        XCTAssertNil(store.endpoints[gone.id])
        XCTAssertNotNil(store.endpoints[alive.id])
        XCTAssertNil(firewall.ports[gone.id], "re-rendered without its ports")
    }

    func testADryRunChangesNothing() throws {
        let network = try createNetwork()
        let gone = try createEndpoint(1, network: network)
        dataplane.remove(Self.hostVeth(gone.id))
        log.clear()
        let (freed, _) = driver.collectGarbage(dryRun: true)
        XCTAssertEqual(freed.map(\.endpoint.id), [gone.id])
        XCTAssertEqual(log.all, [])
        XCTAssertNotNil(store.endpoints[gone.id])
    }

    func testAVethOfTheSameNameWhoseAliasNamesAnotherEndpointIsNotItsVeth() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        dataplane.update(Self.hostVeth(endpoint.id)) { $0.alias = Self.id(9999) }
        let (freed, _) = driver.collectGarbage(dryRun: false)
        XCTAssertEqual(freed.map(\.endpoint.id), [endpoint.id])
        XCTAssertNotNil(dataplane.link(Self.hostVeth(endpoint.id)), "the other endpoint's veth stays")
    }

    func testAFailureToFreeIsReportedTyped() throws {
        let network = try createNetwork()
        let gone = try createEndpoint(1, network: network)
        dataplane.remove(Self.hostVeth(gone.id))
        store.failCommits { if case .deleteEndpoint = $0 { return true } else { return false } }
        let (freed, failures) = driver.collectGarbage(dryRun: false)
        XCTAssertEqual(freed, [])
        XCTAssertEqual(failures.map(\.subject), ["endpoint \(gone.id.prefix(12))"])
        XCTAssertEqual(failures.first?.line, "could not free endpoint \(gone.id.prefix(12)): injected failure: store commit")
    }
}
