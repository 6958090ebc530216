import XCTest
@testable import SwiftnetFirewall

/// The patch between two renderings: only the rules that differ, at their positions.
final class FirewallPatchTests: XCTestCase {
    static func text(_ dnat: [String], forward: [String] = ["-j RETURN"]) -> String {
        "*filter\n:P-FORWARD - [0:0]\n" + forward.map { "-A P-FORWARD \($0)\n" }.joined() + "COMMIT\n"
            + "*nat\n:P-DNAT - [0:0]\n" + dnat.map { "-A P-DNAT \($0)\n" }.joined() + "COMMIT\n"
    }

    func testOneRuleAddedInTheMiddleIsInsertedAtItsPositionAndNothingElseIsTouched() {
        let before = Self.text(["-p tcp --dport 1 -j DNAT", "-p tcp --dport 3 -j DNAT"])
        let after = Self.text(["-p tcp --dport 1 -j DNAT", "-p tcp --dport 2 -j DNAT", "-p tcp --dport 3 -j DNAT"])
        XCTAssertEqual(FirewallPatch.between(installed: before, wanted: after), "*nat\n-I P-DNAT 2 -p tcp --dport 2 -j DNAT\nCOMMIT\n")
        XCTAssertEqual(FirewallPatch.between(installed: after, wanted: before), "*nat\n-D P-DNAT -p tcp --dport 2 -j DNAT\nCOMMIT\n")
        XCTAssertEqual(FirewallPatch.between(installed: after, wanted: after), "")
    }

    func testAChainMostlyRewrittenIsDeclaredAndRefilled() {
        let before = Self.text([], forward: (0..<20).map { "-p tcp --dport \($0) -j ACCEPT" })
        let after = Self.text([], forward: ["-j DROP"])
        XCTAssertEqual(FirewallPatch.between(installed: before, wanted: after), "*filter\n:P-FORWARD - [0:0]\n-A P-FORWARD -j DROP\nCOMMIT\n")
    }

    func testOtherChainsOrTablesGiveNoPatch() {
        let other = "*filter\n:P-OTHER - [0:0]\nCOMMIT\n*nat\n:P-DNAT - [0:0]\nCOMMIT\n"
        XCTAssertNil(FirewallPatch.between(installed: Self.text([]), wanted: other))
        XCTAssertNil(FirewallPatch.between(installed: Self.text([]), wanted: "*filter\n:P-FORWARD - [0:0]\nCOMMIT\n"))
        XCTAssertNil(FirewallPatch.between(installed: "garbage", wanted: Self.text([])))
    }
}
