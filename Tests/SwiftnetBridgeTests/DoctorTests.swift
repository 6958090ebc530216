import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetNetworkModel
import XCTest

/// The doctor's findings from what the fake namespace and firewall show.
final class DoctorTests: DriverTestCase {
    func kinds(_ report: DoctorReport) -> [Finding.Kind] { report.findings.map(\.kind) }

    func testRightAfterCreatingEverythingAgrees() throws {
        let network = try createNetwork()
        try createEndpoint(1, network: network)
        let report = try driver.diagnose()
        XCTAssertEqual(report.findings, [])
        XCTAssertEqual(report.checked.networks, 1)
        XCTAssertEqual(report.checked.endpoints, 1)
    }

    func testAMissingBridgeAndAnOrphanVethAreFound() throws {
        let network = try createNetwork(1)
        let other = try createNetwork(2, subnets: [NetworkSubnet(pool: .init("10.2.0.0/24")!, gateway: .init("10.2.0.1"))])
        dataplane.remove(Self.bridge(network))
        dataplane.add(ObservedLink(name: "swv00000000abc", kind: "veth", mtu: 1500, isUp: true, master: Self.bridge(other),
                                   group: dataplane.group))
        let report = try driver.diagnose()
        XCTAssertEqual(Set(kinds(report)), [.bridgeMissing, .orphanVeth], "\(report.findings.map(\.problem))")
        XCTAssertEqual(report.findings.first { $0.kind == .bridgeMissing }?.networkID, network)
    }

    func testADetachedVethIsFound() throws {
        let network = try createNetwork()
        let endpoint = try createEndpoint(1, network: network)
        dataplane.update(Self.hostVeth(endpoint.id)) { $0.master = nil }
        XCTAssertEqual(kinds(try driver.diagnose()), [.vethDetached])
    }

    func testIsolationWithoutBridgeNetfilterIsFound() throws {
        try createNetwork(generic: [NetworkOptions.iccKey: "false"])
        dataplane.setNetfilter(BridgeNetfilterStatus(iptables: false, ip6tables: false), available: true)
        XCTAssertEqual(kinds(try driver.diagnose()), [.iccNotEnforced])
    }

    func testFirewallDriftIsFoundOnceAfterTheLinks() throws {
        let network = try createNetwork()
        dataplane.remove(Self.bridge(network))
        firewall.setDrift(FirewallDrift(missing: [.init(family: "ipv4", table: "filter", rule: "-A X -i \(Self.bridge(network)) -j ACCEPT")]))
        let report = try driver.diagnose()
        XCTAssertEqual(kinds(report), [.bridgeMissing, .ruleMissing])
        XCTAssertEqual(report.findings.last?.networkID, network)
    }

    func testAForeignBridgeOfTheSameNameGetsNoRulesInTheComparison() throws {
        let network = try createNetwork()
        dataplane.update(Self.bridge(network)) { $0.group = 0 }
        let report = try driver.diagnose()
        XCTAssertTrue(kinds(report).contains(.bridgeTaken), "\(kinds(report))")
        XCTAssertEqual(report.checked.rules, 0, "compared with a firewall rendered without the network")
    }
}
