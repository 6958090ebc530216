import SwiftnetAddress
import XCTest
@testable import SwiftnetFirewall

/// The doctor's comparison of rendered and installed rules: pure text, no iptables.
final class FirewallDifferenceTests: XCTestCase {
    let network = FirewallNetwork(bridge: "swn-0123456789", subnets: [IPPrefix("10.50.0.0/24")!])
    var port: FirewallPortBinding {
        FirewallPortBinding(bridge: "swn-0123456789", proto: "tcp", hostPort: 8080, containerIP: IPAddress("10.50.0.2")!, containerPort: 80)
    }

    func testIdenticalTextsDoNotDiffer() throws {
        let text = try FirewallRules.render(networks: [network], bindings: [port], family: .v4)
        XCTAssertEqual(FirewallDifference.compare(expected: text, installed: text, family: .v4), [])
        XCTAssertEqual(FirewallDifference.ruleCount(text), text.split(separator: "\n").filter { $0.hasPrefix("-A") }.count)
    }

    func testMissingUnexpectedAndRepeatedRules() throws {
        let expected = try FirewallRules.render(networks: [network], bindings: [port], family: .v4)
        let dnat = try XCTUnwrap(expected.split(separator: "\n").first { $0.contains("-j DNAT") }.map(String.init))
        var installed = expected.replacingOccurrences(of: dnat + "\n", with: "")
        let stray = "-A SWIFTNET-FORWARD -i swn-9999999999 -j ACCEPT"
        installed = installed.replacingOccurrences(of: ":SWIFTNET-ISOLATION - [0:0]\n", with: ":SWIFTNET-ISOLATION - [0:0]\n\(stray)\n\(stray)\n")
        let differences = FirewallDifference.compare(expected: expected, installed: installed, family: .v4)
        XCTAssertEqual(differences, [
            FirewallDifference(kind: .missing, family: .v4, table: "nat", rule: dnat),
            FirewallDifference(kind: .unexpected, family: .v4, table: "filter", rule: stray),
            FirewallDifference(kind: .unexpected, family: .v4, table: "filter", rule: stray),
        ])
    }

    /// The bridge's own ACCEPT must come before its isolation jump: order is drift too.
    func testSameRulesInAnotherOrderAreMisordered() throws {
        let expected = try FirewallRules.render(networks: [network], bindings: [port], family: .v4)
        var lines = expected.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = try XCTUnwrap(lines.firstIndex { $0 == "-A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j ACCEPT" })
        XCTAssertTrue(lines[first + 1].hasSuffix("-j SWIFTNET-ISOLATION"), lines[first + 1])
        lines.swapAt(first, first + 1)
        let differences = FirewallDifference.compare(expected: expected, installed: lines.joined(separator: "\n"), family: .v4)
        XCTAssertEqual(differences, [FirewallDifference(kind: .misordered, family: .v4, table: "filter",
                                                        rule: "-A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j ACCEPT")])
    }

    func testTheSameRuleInAnotherTableIsNotAMatch() {
        let expected = "*filter\n:X - [0:0]\n-A X -j ACCEPT\nCOMMIT\n*nat\nCOMMIT\n"
        let installed = "*filter\n:X - [0:0]\nCOMMIT\n*nat\n-A X -j ACCEPT\nCOMMIT\n"
        XCTAssertEqual(FirewallDifference.compare(expected: expected, installed: installed, family: .v6).map(\.kind), [.missing, .unexpected])
    }

    func testAMissingChainShowsAsItsDeclarationAndRules() throws {
        let expected = try FirewallRules.render(networks: [network], bindings: [], family: .v4)
        let installed = "*filter\nCOMMIT\n*nat\nCOMMIT\n"
        let differences = FirewallDifference.compare(expected: expected, installed: installed, family: .v4)
        XCTAssertTrue(differences.allSatisfy { $0.kind == .missing })
        XCTAssertTrue(differences.contains { $0.rule == ":SWIFTNET-FORWARD - [0:0]" })
        XCTAssertEqual(differences.count, expected.split(separator: "\n").filter { !$0.hasPrefix("*") && $0 != "COMMIT" }.count)
    }
}
