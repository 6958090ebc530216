import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel
import SwiftnetOperator
import XCTest

final class DiagnosisTests: XCTestCase {
    func kinds(_ findings: [Finding]) -> [Finding.Kind] { findings.map(\.kind) }

    func testHealthyStateHasNoFindings() {
        XCTAssertEqual(Fixtures.findings(), [])
    }

    func testMissingBridgeIsOneFindingNotOnePerAddress() {
        var links = Fixtures.healthyLinks
        links.removeAll { $0.name == Fixtures.bridge }
        // The veths lost their master with the bridge.
        for index in links.indices where links[index].master == Fixtures.bridge { links[index].master = nil }
        let findings = Fixtures.findings(links: links)
        XCTAssertEqual(kinds(findings), [.bridgeMissing, .vethDetached, .vethDetached])
        XCTAssertTrue(findings[0].repair.contains("swiftnet doctor --fix"))
        XCTAssertTrue(findings[0].fixable)
        XCTAssertEqual(findings[0].networkID, Fixtures.networkID)
    }

    func testForeignAndMissingAddressesOnTheBridge() {
        var links = Fixtures.healthyLinks
        let index = links.firstIndex { $0.name == Fixtures.bridge }!
        links[index].addresses = [InterfaceAddress(cidr: "10.77.0.9/24")!, InterfaceAddress(cidr: "fe80::1/64")!]
        let findings = Fixtures.findings(links: links)
        XCTAssertEqual(kinds(findings), [.gatewayMissing, .foreignAddress])
        XCTAssertEqual(findings[1].subject, "10.77.0.9/24")
        XCTAssertTrue(findings[1].repair.contains("ip addr del 10.77.0.9/24 dev \(Fixtures.bridge)"), findings[1].repair)
    }

    func testBridgeDownWrongMTUAndNotABridge() {
        var links = Fixtures.healthyLinks
        let index = links.firstIndex { $0.name == Fixtures.bridge }!
        links[index].isUp = false
        links[index].mtu = 1500
        XCTAssertEqual(kinds(Fixtures.findings(links: links)), [.bridgeDown, .bridgeMTU])
        links[index].kind = "dummy"
        let findings = Fixtures.findings(links: links)
        XCTAssertEqual(kinds(findings), [.bridgeTaken])
        XCTAssertFalse(findings[0].fixable)
        // A bridge of that name that another instance (or the host) made: not ours either.
        links[index].kind = "bridge"
        links[index].group = 0
        let foreign = Fixtures.findings(links: links)
        XCTAssertEqual(kinds(foreign), [.bridgeTaken])
        XCTAssertTrue(foreign[0].problem.contains("did not make"), foreign[0].problem)
    }

    func testStaleEndpoints() {
        var links = Fixtures.healthyLinks
        links.removeAll { $0.name == Fixtures.endpoints[0].hostVeth }
        var endpoints = Fixtures.endpoints
        endpoints[1].bootID = "an-earlier-boot"
        let findings = Fixtures.findings(endpoints: endpoints, links: links)
        XCTAssertEqual(kinds(findings), [.endpointStale, .endpointStale])
        XCTAssertTrue(findings[0].problem.contains("lost its veth"), findings[0].problem)
        XCTAssertTrue(findings[0].meaning.contains("10.77.0.2"), findings[0].meaning)
        XCTAssertTrue(findings[1].problem.contains("earlier boot"), findings[1].problem)
        XCTAssertTrue(findings[0].repair.hasPrefix("swiftnet gc"))
    }

    func testDetachedAndDownVeth() {
        var links = Fixtures.healthyLinks
        let index = links.firstIndex { $0.name == Fixtures.endpoints[1].hostVeth }!
        links[index].master = "docker0"
        links[index].isUp = false
        links[index].mtu = 1500
        let findings = Fixtures.findings(links: links)
        XCTAssertEqual(kinds(findings), [.vethDetached, .vethMTU, .vethDown])
        XCTAssertEqual(findings[0].endpointID, Fixtures.endpoints[1].id)
        XCTAssertTrue(findings[0].problem.contains("attached to docker0"), findings[0].problem)
    }

    func testOrphansForeignPortsAndOtherInstancesLinks() {
        var links = Fixtures.healthyLinks
        // A swiftnet-named veth on our bridge that no endpoint owns: an orphan.
        links.append(ObservedLink(name: "swv0123456789a", kind: "veth", mtu: 1500, isUp: true, master: Fixtures.bridge, group: 0))
        // Something an operator attached: reported, not fixable.
        links.append(ObservedLink(name: "eth9", kind: nil, mtu: 1500, isUp: true, master: Fixtures.bridge, group: 0))
        // A link made by this instance that nobody owns.
        links.append(ObservedLink(name: "swn-ffffffffff", kind: "bridge", mtu: 1500, isUp: true, master: nil, group: Fixtures.group))
        // Being deleted in the background (the retired group), and another instance's veth: not ours to report.
        links.append(ObservedLink(name: "swv00000000000", kind: "veth", mtu: 1500, isUp: false, master: nil, group: Fixtures.group | 1))
        links.append(ObservedLink(name: "swv11111111111", kind: "veth", mtu: 1500, isUp: true, master: "swn-other", group: 0x5300_9990))
        let findings = Fixtures.findings(links: links)
        XCTAssertEqual(kinds(findings), [.foreignPort, .orphanLink, .orphanVeth])
        XCTAssertEqual(findings.map(\.subject), ["eth9", "swn-ffffffffff", "swv0123456789a"])
        XCTAssertFalse(findings[0].fixable)
        XCTAssertTrue(findings[2].fixable)
    }

    func testFirewallDrift() {
        let drift = FirewallDrift(
            missing: [.init(family: "ipv4", table: "nat", rule: "-A SWIFTNET-DNAT -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.77.0.2:80"),
                      .init(family: "ipv4", table: "filter", rule: "-A SWIFTNET-FORWARD-a -o swn-ababababab -j SWIFTNET-INBOUND"),
                      .init(family: "ipv4", table: "filter", rule: "-A SWIFTNET-FORWARD -o swn-a+ -j SWIFTNET-FORWARD-a")],
            unexpected: [.init(family: "ipv4", table: "filter", rule: "-A SWIFTNET-FORWARD -j ACCEPT")],
            misordered: [.init(family: "ipv6", table: "filter", rule: "-A SWIFTNET-FORWARD-a -i swn-ababababab -j SWIFTNET-ISOLATION")],
            missingJumps: [.init(family: "ipv4", table: "filter", rule: "FORWARD -j SWIFTNET-FORWARD")],
            jumpsNotFirst: [.init(family: "ipv6", table: "filter", rule: "FORWARD -j SWIFTNET-FORWARD")])
        let findings = Fixtures.findings(firewall: drift)
        XCTAssertEqual(kinds(findings), [.jumpMissing, .jumpNotFirst, .ruleOrder, .ruleMissing, .ruleMissing, .ruleMissing, .ruleUnexpected])
        XCTAssertTrue(findings[1].meaning.contains("isolation"), findings[1].meaning)
        XCTAssertTrue(findings[3].meaning.contains("published port"), findings[3].meaning)
        // A jump to the isolation chains is isolation too, not "the firewall does not match".
        XCTAssertTrue(findings[4].meaning.contains("isolation is incomplete"), findings[4].meaning)
        // A jump to a branch of FORWARD: that branch's networks are left to Docker's rules.
        XCTAssertTrue(findings[5].meaning.contains("swn-a… is left to Docker's rules"), findings[5].meaning)
        XCTAssertTrue(findings.allSatisfy { $0.repair.contains("swiftnet doctor --fix") && $0.fixable })
    }

    func testUnfinishedRecords() {
        var network = Fixtures.network
        network.state = .creating
        var endpoints = Fixtures.endpoints
        endpoints[0].state = .deleting
        let findings = Fixtures.findings(networks: [network], endpoints: endpoints)
        XCTAssertEqual(kinds(findings), [.networkUnfinished, .endpointUnfinished])
    }

    func testReportSurvivesJSON() throws {
        var links = Fixtures.healthyLinks
        links.removeAll { $0.name == Fixtures.bridge }
        let report = DoctorReport(findings: Fixtures.findings(links: links), checked: .init(networks: 1, endpoints: 2, links: 3, rules: 4),
                                  repairs: [Repair(subject: "network 0123456789ab", action: "recreated bridge"),
                                            Repair(subject: "link swvx", action: "delete swvx", outcome: .failed(reason: "busy"))],
                                  before: [])
        XCTAssertEqual(try DoctorReport(json: report.json), report)
        XCTAssertFalse(report.isHealthy)
        let text = OperatorText.doctor(report)
        XCTAssertTrue(text.contains("[bridge-missing] bridge \(Fixtures.bridge)"), text)
        XCTAssertTrue(text.contains("repaired: recreated bridge\n"), text)
        XCTAssertTrue(text.contains("failed: could not delete swvx: busy\n"), text)
        guard case .object(let object) = report.json else { return XCTFail("not an object") }
        XCTAssertEqual(object["repairs"], .array([.string("recreated bridge"), .string("could not delete swvx: busy")]),
                       "the lines of formatVersion 1 stay")
        XCTAssertTrue(text.contains("  repair: swiftnet doctor --fix"), text)
        let healthy = DoctorReport(findings: [], checked: .init(networks: 1, endpoints: 2, links: 3, rules: 4))
        XCTAssertEqual(OperatorText.doctor(healthy), "ok: state and kernel agree (1 network, 2 endpoints, 3 links, 4 firewall rules)\n")
    }

    /// A report from a server older than `repairOutcomes`: its lines print as they did.
    func testReportWithOnlyRepairLinesReadsAsRepairsDone() throws {
        let json = try JSONParser.parse(#"{"healthy": true, "findings": [], "checked": {"networks": 0, "endpoints": 0, "links": 0, "rules": 0}, "repairs": ["recreated bridge swn-x"], "before": []}"#)
        let report = try DoctorReport(json: json)
        XCTAssertEqual(report.repairs, [Repair(subject: "", action: "recreated bridge swn-x")])
        XCTAssertTrue(OperatorText.doctor(report).contains("repaired: recreated bridge swn-x\n"))
    }
}
