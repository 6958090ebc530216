import SwiftnetAddress
import XCTest
@testable import SwiftnetFirewall

/// A state edited binding by binding (a container's ports published and revoked) is the
/// state built from the bindings left: same rendering, same refusals.
final class FirewallStateTests: XCTestCase {
    let networks = [
        FirewallNetwork(bridge: "swn-a", subnets: [IPPrefix("10.70.0.0/16")!, IPPrefix("fd00:70::/64")!]),
        FirewallNetwork(bridge: "swn-b", subnets: [IPPrefix("10.71.0.0/16")!]),
        FirewallNetwork(bridge: "swn-int", subnets: [IPPrefix("10.72.0.0/16")!], isInternal: true),
    ]

    /// Bindings of every kind: both families, host addresses (two bindings on one port),
    /// unspecified host addresses written out, an internal network's, exact repeats.
    func binding(_ n: Int) -> FirewallPortBinding {
        switch n % 6 {
        case 0: FirewallPortBinding(bridge: "swn-a", proto: "tcp", hostPort: 30_000 + n / 2,
                                    containerIP: IPAddress("10.70.\(n / 250).\(n % 250 + 2)")!, containerPort: 80)
        case 1: FirewallPortBinding(bridge: "swn-a", proto: "tcp", hostPort: 30_000 + n / 2,
                                    containerIP: IPAddress("fd00:70::\(String(n, radix: 16))")!, containerPort: 80)
        case 2: FirewallPortBinding(bridge: "swn-b", proto: "udp", hostIP: IPAddress("127.0.0.1")!, hostPort: 40_000 + n % 12,
                                    containerIP: IPAddress("10.71.0.\(n % 12 + 2)")!, containerPort: 53)
        case 3: FirewallPortBinding(bridge: "swn-b", proto: "udp", hostIP: IPAddress("127.0.0.2")!, hostPort: 40_000 + n % 12,
                                    containerIP: IPAddress("10.71.0.\(n % 12 + 2)")!, containerPort: 53)
        case 4: FirewallPortBinding(bridge: "swn-int", proto: "tcp", hostPort: 31_000 + n, containerIP: IPAddress("10.72.0.5")!,
                                    containerPort: 80)
        default: FirewallPortBinding(bridge: "swn-b", proto: "sctp", hostIP: IPAddress("0.0.0.0")!, hostPort: 32_000 + n % 20,
                                     containerIP: IPAddress("10.71.1.\(n % 20 + 2)")!, containerPort: 9)
        }
    }

    func rendered(_ state: FirewallState, cache: inout FirewallRenderCache) throws -> String {
        let chains = try FirewallChains(prefix: "SWIFTNET")
        return [IPFamily.v4, .v6].map { family in
            FirewallRules.sections(state, family: family, chains: chains, cache: &cache).map(\.text).joined()
        }.joined()
    }

    func fresh(_ bindings: [FirewallPortBinding]) throws -> String {
        try [IPFamily.v4, .v6].map { try FirewallRules.render(networks: networks, bindings: bindings, family: $0) }.joined()
    }

    func testEditedBindingByBindingRendersWhatAFreshStateRenders() throws {
        var state = try FirewallState(networks: networks, bindings: [])
        var cache = FirewallRenderCache()
        var current: [FirewallPortBinding] = []
        var generator = SystemRandomNumberGenerator()
        for step in 0..<400 {
            if current.isEmpty || Int.random(in: 0..<3, using: &generator) > 0 {
                // Sometimes a repeat of a binding already there: one binding until its last copy goes.
                let added = current.isEmpty || Int.random(in: 0..<5, using: &generator) > 0
                    ? binding(step) : current[Int.random(in: 0..<current.count, using: &generator)]
                try state.insert(added)
                current.append(added)
            } else {
                let removed = current.remove(at: Int.random(in: 0..<current.count, using: &generator))
                XCTAssertTrue(state.remove([removed]), "step \(step)")
            }
            XCTAssertEqual(try rendered(state, cache: &cache), try fresh(current), "step \(step)")
        }
        XCTAssertTrue(state.remove(current))
        XCTAssertEqual(try rendered(state, cache: &cache), try fresh([]))
    }

    func testAConflictIsRefusedAsByAFreshStateAndChangesNothing() throws {
        let first = binding(0)
        var state = try FirewallState(networks: networks, bindings: [first])
        var other = first
        other.containerIP = IPAddress("10.70.9.9")!
        let fromScratch: FirewallError
        do { _ = try FirewallState(networks: networks, bindings: [first, other]); return XCTFail("no conflict") } catch { fromScratch = error }
        do { try state.insert(other); XCTFail("no conflict") } catch { XCTAssertEqual("\(error)", "\(fromScratch)") }
        var cache = FirewallRenderCache()
        XCTAssertEqual(try rendered(state, cache: &cache), try fresh([first]))
        // Another host address on the same port is no conflict.
        var elsewhere = binding(2)
        elsewhere.hostIP = IPAddress("127.0.0.9")!
        XCTAssertNoThrow(try state.insert(elsewhere))
    }

    /// Removing what is not there says so (the caller then builds the state anew).
    func testRemovingABindingNotThereIsReported() throws {
        let state = try FirewallState(networks: networks, bindings: [binding(0), binding(1)])
        var edited = state
        XCTAssertFalse(edited.remove([binding(6)]))
        edited = state
        XCTAssertFalse(edited.remove([FirewallPortBinding(bridge: "swn-gone", proto: "tcp", hostPort: 1,
                                                          containerIP: IPAddress("10.9.0.2")!, containerPort: 1)]))
        edited = state
        XCTAssertFalse(edited.remove([binding(0), binding(0)]), "one copy given, two taken")
        edited = state
        XCTAssertTrue(edited.remove([binding(0)]))
        XCTAssertFalse(edited.remove([binding(0)]))
        // An internal network's binding is never programmed: there is nothing to remove.
        edited = state
        XCTAssertTrue(edited.remove([binding(4)]))
    }

    /// Thousands of ports of one container (one bucket) go in one pass.
    func testAContainersThousandsOfPortsGoAtOnce() throws {
        let many = (0..<5_000).map {
            FirewallPortBinding(bridge: "swn-a", proto: "tcp", hostPort: 20_000 + $0, containerIP: IPAddress("10.70.0.2")!, containerPort: 20_000 + $0)
        }
        var state = try FirewallState(networks: networks, bindings: many + [binding(6)])
        XCTAssertTrue(state.remove(many))
        var cache = FirewallRenderCache()
        XCTAssertEqual(try rendered(state, cache: &cache), try fresh([binding(6)]))
    }

    func testNetworksAreComparedWhateverTheirOrder() throws {
        let state = try FirewallState(networks: networks, bindings: [])
        XCTAssertTrue(state.hasNetworks(networks.reversed()))
        XCTAssertFalse(state.hasNetworks(Array(networks.dropLast())))
        var changed = networks
        changed[1].interContainer = false
        XCTAssertFalse(state.hasNetworks(changed))
    }
}
