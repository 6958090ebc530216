import XCTest
@testable import SwiftnetFirewall

/// Where the FORWARD jump belongs: right after the jump to DOCKER-USER (the user's rules see
/// forwarded traffic first, as Docker promises), else first.
final class SavedTablesTests: XCTestCase {
    let chains = try! FirewallChains(prefix: "SWT1")
    var jump: FirewallJump { try! FirewallRules.jumps(family: .v4, prefix: "SWT1")[0] }

    func saved(_ forward: [String]) -> SavedTables {
        let text = (["*filter", ":FORWARD DROP [0:0]", ":DOCKER-USER - [0:0]", ":SWT1-FORWARD - [0:0]"]
            + forward.map { "-A FORWARD \($0)" } + ["COMMIT"]).joined(separator: "\n") + "\n"
        return SavedTables(text, chains: chains, family: .v4)
    }

    func testWithoutDockerUserTheJumpIsFirst() {
        XCTAssertEqual(saved([]).wantedPosition(of: jump), 1)
        XCTAssertTrue(saved(["-j SWT1-FORWARD", "-o docker0 -j DOCKER"]).isInPlace(jump))
        XCTAssertFalse(saved(["-o docker0 -j DOCKER", "-j SWT1-FORWARD"]).isInPlace(jump))
    }

    func testRightAfterDockerUser() {
        // dockerd 20.10: DOCKER-USER first, then its isolation chains and bridge rules.
        let dockerd = ["-j DOCKER-USER", "-j DOCKER-ISOLATION-STAGE-1", "-i docker0 ! -o docker0 -j ACCEPT"]
        XCTAssertEqual(saved(dockerd).wantedPosition(of: jump), 2)
        XCTAssertTrue(saved(["-j DOCKER-USER", "-j SWT1-FORWARD"] + dockerd.dropFirst()).isInPlace(jump))
        XCTAssertFalse(saved(["-j SWT1-FORWARD"] + dockerd).isInPlace(jump), "above DOCKER-USER the user's rules come too late")
        XCTAssertFalse(saved(dockerd + ["-j SWT1-FORWARD"]).isInPlace(jump), "Docker's ACCEPT for its bridges would decide first")
        // Counted without the jump itself, so a move is "-D" then "-I FORWARD 2".
        XCTAssertEqual(saved(["-j SWT1-FORWARD"] + dockerd).wantedPosition(of: jump), 2)
        XCTAssertEqual(saved(dockerd + ["-j SWT1-FORWARD"]).wantedPosition(of: jump), 2)
        // Docker 28+: DOCKER-USER then DOCKER-FORWARD; swiftnet goes between them.
        XCTAssertTrue(saved(["-j DOCKER-USER", "-j SWT1-FORWARD", "-j DOCKER-FORWARD"]).isInPlace(jump))
        XCTAssertFalse(saved(["-j DOCKER-USER", "-j DOCKER-FORWARD", "-j SWT1-FORWARD"]).isInPlace(jump))
    }

    /// Another swiftnet server's jump (its prefix's FORWARD and ISOLATION chains exist) may
    /// stand between DOCKER-USER and ours; anything else there may not.
    func testBelowAnotherSwiftnetsJumpIsInPlace() {
        func savedWith(_ forward: [String], chains extra: [String]) -> SavedTables {
            let text = (["*filter", ":FORWARD DROP [0:0]", ":DOCKER-USER - [0:0]", ":SWT1-FORWARD - [0:0]"] + extra.map { ":\($0) - [0:0]" }
                + forward.map { "-A FORWARD \($0)" } + ["COMMIT"]).joined(separator: "\n") + "\n"
            return SavedTables(text, chains: chains, family: .v4)
        }
        let other = ["OTHER-FORWARD", "OTHER-ISOLATION"]
        XCTAssertTrue(savedWith(["-j DOCKER-USER", "-j OTHER-FORWARD", "-j SWT1-FORWARD", "-j DOCKER-FORWARD"], chains: other).isInPlace(jump))
        XCTAssertTrue(savedWith(["-j OTHER-FORWARD", "-j SWT1-FORWARD"], chains: other).isInPlace(jump))
        XCTAssertTrue(savedWith(["-j DOCKER-USER", "-j SWT1-FORWARD", "-j OTHER-FORWARD"], chains: other).isInPlace(jump))
        // Not another swiftnet: no ISOLATION chain of that prefix, or Docker's own chain.
        XCTAssertFalse(savedWith(["-j DOCKER-USER", "-j OTHER-FORWARD", "-j SWT1-FORWARD"], chains: ["OTHER-FORWARD"]).isInPlace(jump))
        XCTAssertFalse(savedWith(["-j DOCKER-USER", "-j DOCKER-FORWARD", "-j SWT1-FORWARD"], chains: ["DOCKER-FORWARD", "DOCKER-ISOLATION"])
            .isInPlace(jump))
        XCTAssertFalse(savedWith(["-j DOCKER-USER", "-j OTHER-FORWARD", "-i x -j ACCEPT", "-j SWT1-FORWARD"], chains: other).isInPlace(jump))
    }

    func testJumpsIntoOtherChainsMayBeAnywhere() {
        let nat = try! FirewallRules.jumps(family: .v4, prefix: "SWT1")[3]
        XCTAssertEqual(nat.chain, "POSTROUTING")
        XCTAssertTrue(saved([]).isInPlace(nat))
        XCTAssertEqual(saved([]).wantedPosition(of: nat), 1)
    }

    /// Docker's bridges named otherwise than docker0 and br-…, from Docker's own rules as
    /// dockerd ≤ 28 (isolation stages) and 28 and later (DOCKER-BRIDGE, DOCKER,
    /// DOCKER-INTERNAL for --internal networks) write them (moby's iptablesdoc); names the
    /// wildcards match, ours, and what iptables would not take literally are left out.
    func testDockersBridgesNamedOtherwiseAreReadFromItsRules() {
        let text = """
            *filter
            :DOCKER - [0:0]
            :DOCKER-BRIDGE - [0:0]
            :DOCKER-ISOLATION-STAGE-2 - [0:0]
            -A DOCKER -d 192.0.2.2/32 ! -i bridge1 -o bridge1 -p tcp -m tcp --dport 80 -j ACCEPT
            -A DOCKER ! -i docker0 -o docker0 -j DROP
            -A DOCKER ! -i bridge1 -o bridge1 -j DROP
            -A DOCKER ! -i lan.5 -o lan.5 -j DROP
            -A DOCKER-BRIDGE -o docker0 -j DOCKER
            -A DOCKER-BRIDGE -o bridge1 -j DOCKER
            -A DOCKER-BRIDGE -o br-0123456789ab -j DOCKER
            -A DOCKER-BRIDGE -o swn-0123456789 -j DOCKER
            -A DOCKER-INTERNAL ! -s 198.51.100.0/24 -o inner28 -j DROP
            -A DOCKER-INTERNAL ! -d 198.51.100.0/24 -i inner28 -j DROP
            -A DOCKER-ISOLATION-STAGE-1 ! -s 192.0.2.0/24 -o inner20 -j DROP
            -A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2
            -A DOCKER-ISOLATION-STAGE-2 -o old20 -j DROP
            -A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP
            -A DOCKER-ISOLATION-STAGE-2 -j RETURN
            -A DOCKER-USER -o notdocker -j DROP
            COMMIT

            """
        XCTAssertEqual(SavedTables(text, chains: chains, family: .v4).dockerBridges, ["bridge1", "inner20", "inner28", "lan.5", "old20"])
        XCTAssertEqual(SavedTables("*filter\nCOMMIT\n", chains: chains, family: .v4).dockerBridges, [])
    }
}
