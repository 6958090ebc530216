import SwiftnetAddress
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

    /// The chains two renderings hold differently: what a patch between them changes (the
    /// guard leaves those out of a read the patch overlapped) and what the guard compares.
    func testTheChainsThatDifferAreNamed() throws {
        let before = try XCTUnwrap(FirewallPatch.Section.parse(Self.text(["-p tcp --dport 1 -j DNAT"])))
        let after = try XCTUnwrap(FirewallPatch.Section.parse(Self.text(["-p tcp --dport 2 -j DNAT"])))
        XCTAssertEqual(FirewallPatch.differing(before, after), ["P-DNAT"])
        XCTAssertEqual(FirewallPatch.differing(before, before), [])
        let reordered = try XCTUnwrap(FirewallPatch.Section.parse(Self.text([], forward: ["-j DROP", "-j RETURN"])))
        let ordered = try XCTUnwrap(FirewallPatch.Section.parse(Self.text([], forward: ["-j RETURN", "-j DROP"])))
        XCTAssertEqual(FirewallPatch.differing(reordered, ordered), ["P-FORWARD"], "the same rules in another order")
        let extra = try XCTUnwrap(FirewallPatch.Section.parse("*filter\n:P-FORWARD - [0:0]\n:P-X - [0:0]\n-A P-FORWARD -j RETURN\nCOMMIT\n"
            + "*nat\n:P-DNAT - [0:0]\n-A P-DNAT -p tcp --dport 1 -j DNAT\nCOMMIT\n"))
        XCTAssertEqual(FirewallPatch.differing(before, extra), ["P-X"], "a chain only one side declares")
        XCTAssertEqual(FirewallPatch.differing(extra, before), ["P-X"])
        XCTAssertNil(FirewallPatch.differing(before, nil), "unparsable")
        XCTAssertNil(FirewallPatch.differing(before, Array(before.prefix(1))), "other tables")
    }

    /// The guard's comparison: chain by chain, the skipped ones left out, a chain declared on
    /// one side only a difference, and text it cannot parse never "the same".
    func testTheGuardsComparisonLeavesOutOnlyTheSkippedChains() throws {
        let installed = try XCTUnwrap(FirewallPatch.Section.parse(Self.text(["-p tcp --dport 1 -j DNAT"])))
        let other = try XCTUnwrap(FirewallPatch.Section.parse(Self.text(["-p tcp --dport 2 -j DNAT"])))
        XCTAssertTrue(FirewallPatch.same(installed, installed, skipping: []))
        XCTAssertFalse(FirewallPatch.same(installed, other, skipping: []))
        XCTAssertTrue(FirewallPatch.same(installed, other, skipping: ["P-DNAT"]))
        XCTAssertFalse(FirewallPatch.same(installed, other, skipping: ["P-FORWARD"]))
        let extra = try XCTUnwrap(FirewallPatch.Section.parse("*filter\n:P-FORWARD - [0:0]\n:P-X - [0:0]\n-A P-FORWARD -j RETURN\nCOMMIT\n"
            + "*nat\n:P-DNAT - [0:0]\n-A P-DNAT -p tcp --dport 1 -j DNAT\nCOMMIT\n"))
        XCTAssertFalse(FirewallPatch.same(installed, extra, skipping: []), "a chain only one side declares")
        XCTAssertTrue(FirewallPatch.same(installed, extra, skipping: ["P-X"]))
        XCTAssertFalse(FirewallPatch.same(installed, nil, skipping: []), "unparsable")
    }

    func testOtherTablesGiveNoPatch() {
        XCTAssertNil(FirewallPatch.between(installed: Self.text([]), wanted: "*filter\n:P-FORWARD - [0:0]\nCOMMIT\n"))
        XCTAssertNil(FirewallPatch.between(installed: "garbage", wanted: Self.text([])))
    }
}

/// The cost of a container start or stop must not follow the number of published ports on
/// the host: `iptables-restore` reads every rule of each chain a patch inserts into or
/// deletes from, so a patch may only touch small chains.
final class FirewallPatchFlatnessTests: XCTestCase {
    let network = FirewallNetwork(bridge: "swn-flat", subnets: [IPPrefix("10.60.0.0/16")!])

    func binding(_ n: Int) -> FirewallPortBinding {
        FirewallPortBinding(bridge: "swn-flat", proto: "tcp", hostPort: 30_000 + n,
                            containerIP: IPAddress("10.60.\(n / 250).\(n % 250 + 2)")!, containerPort: 80)
    }

    func sections(_ bindings: [FirewallPortBinding]) throws -> [FirewallPatch.Section] {
        try XCTUnwrap(FirewallPatch.Section.parse(try FirewallRules.render(networks: [network], bindings: bindings, family: .v4)))
    }

    /// The chains a patch names, with how many rules each holds in `wanted`.
    func touched(_ patch: String, wanted: [FirewallPatch.Section]) -> [String: Int] {
        var sizes: [String: Int] = [:]
        for line in patch.split(separator: "\n") where line.hasPrefix("-") || line.hasPrefix(":") {
            let chain = line.hasPrefix(":") ? String(line.dropFirst().split(separator: " ")[0]) : String(line.split(separator: " ")[1])
            sizes[chain] = wanted.compactMap { $0.rules[chain]?.count }.first ?? 0
        }
        return sizes
    }

    func testAStartOrStopAmongAThousandPublishedPortsPatchesOnlySmallChains() throws {
        let thousand = (0..<1_000).map(binding)
        let before = try sections(thousand)
        let after = try sections(thousand + [binding(1_000)])
        let start = try XCTUnwrap(FirewallPatch.between(installed: before, wanted: after))
        let stop = try XCTUnwrap(FirewallPatch.between(installed: after, wanted: before))
        for (name, patch, wanted) in [("start", start, after), ("stop", stop, before)] {
            let chains = touched(patch, wanted: wanted)
            XCTAssertEqual(patch.split(separator: "\n").filter { $0.hasPrefix("-") }.count, 3, "\(name): a DNAT, an ACCEPT, a hairpin\n\(patch)")
            XCTAssertEqual(chains.count, 3, "\(name): \(chains)")
            XCTAssertLessThanOrEqual(chains.values.max() ?? 0, 100, "\(name): every chain it touches is small: \(chains)")
        }
    }

    /// A bucket's first port creates its chains before the jumps to them; its last port going
    /// deletes the jumps, then empties the chains in the same transaction, and names them for
    /// deletion after it (a foreign jump to one would fail the whole transaction).
    func testABucketIsCreatedWithItsFirstPortAndDeletedWithItsLast() throws {
        let chains = try FirewallChains(prefix: "SWIFTNET")
        let first = binding(0)
        let bucket = FirewallChains.bucket(of: first.containerIP)
        let other = try XCTUnwrap((1..<200).map(binding).first { FirewallChains.bucket(of: $0.containerIP) != bucket })
        let without = try sections([other]), with = try sections([other, first])
        let create = try XCTUnwrap(FirewallPatch.between(installed: without, wanted: with)).split(separator: "\n").map(String.init)
        for chain in [chains.acceptBucket(bucket), chains.dnatBucket(bucket), chains.hairpinBucket(bucket)] {
            let declared = try XCTUnwrap(create.firstIndex(of: ":\(chain) - [0:0]"), "\(chain) declared\n\(create)")
            let jump = try XCTUnwrap(create.firstIndex { $0.hasPrefix("-I ") && $0.hasSuffix("-j \(chain)") }, "jump to \(chain)\n\(create)")
            XCTAssertLessThan(declared, jump)
        }
        let delete = try XCTUnwrap(FirewallPatch.between(installed: with, wanted: without)).split(separator: "\n").map(String.init)
        for chain in [chains.acceptBucket(bucket), chains.dnatBucket(bucket), chains.hairpinBucket(bucket)] {
            let jump = try XCTUnwrap(delete.firstIndex { $0.hasPrefix("-D ") && $0.hasSuffix("-j \(chain)") }, "jump to \(chain)\n\(delete)")
            let emptied = try XCTUnwrap(delete.firstIndex(of: ":\(chain) - [0:0]"), "\(chain) emptied\n\(delete)")
            XCTAssertLessThan(jump, emptied)
        }
        XCTAssertFalse(delete.contains { $0.hasPrefix("-X ") }, "\(delete)")
        XCTAssertEqual(Set(FirewallPatch.gone(installed: with, wanted: without).map(\.chain)),
                       [chains.acceptBucket(bucket), chains.dnatBucket(bucket), chains.hairpinBucket(bucket)])
    }

    /// Rendering through one cache across many changes gives exactly what a fresh rendering
    /// gives: the cache only saves work.
    func testTheBucketCacheRendersWhatAFreshRenderingDoes() throws {
        let chains = try FirewallChains(prefix: "SWIFTNET")
        var cache = FirewallRenderCache()
        var current: [FirewallPortBinding] = []
        var generator = SystemRandomNumberGenerator()
        for step in 0..<300 {
            if current.isEmpty || Int.random(in: 0..<3, using: &generator) > 0 {
                current.append(binding(step))
            } else {
                current.remove(at: Int.random(in: 0..<current.count, using: &generator))
            }
            let state = try FirewallState(networks: [network], bindings: current)
            let cached = FirewallRules.sections(state, family: .v4, chains: chains, cache: &cache).map(\.text).joined()
            XCTAssertEqual(cached, try FirewallRules.render(networks: [network], bindings: current, family: .v4), "step \(step)")
        }
    }

    /// The same for networks: created, deleted, changed (internal, icc, masquerade, pools)
    /// and starting or stopping to publish, both families, through one cache; and the patch
    /// from each step to the next names every chain that differs (the guard leaves out of its
    /// comparison what a patch names).
    func testTheNetworkCacheRendersWhatAFreshRenderingDoes() throws {
        let chains = try FirewallChains(prefix: "SWIFTNET")
        var cache = FirewallRenderCache()
        var networks: [FirewallNetwork] = []
        var bindings: [FirewallPortBinding] = []
        var previous: [IPFamily: [FirewallPatch.Section]] = [:]
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> Int { Int.random(in: 0..<count, using: &generator) }
        for step in 0..<400 {
            switch networks.isEmpty ? 0 : random(5) {
            case 0, 1:
                let index = step % 200
                guard !networks.contains(where: { $0.bridge == "swn-\(index)" }) else { continue }
                networks.append(FirewallNetwork(bridge: "swn-\(index)",
                                                subnets: [IPPrefix("10.\(index).0.0/24")!, IPPrefix("fd00:\(index)::/64")!],
                                                isInternal: random(4) == 0, interContainer: random(2) == 0,
                                                masquerade: random(3) > 0, sequence: step))
            case 2:
                let gone = networks.remove(at: random(networks.count))
                bindings.removeAll { $0.bridge == gone.bridge }
            case 3:
                let index = random(networks.count)
                networks[index].isInternal.toggle()
                networks[index].interContainer = random(2) == 0
                networks[index].masquerade = random(2) == 0
                if random(2) == 0, networks[index].subnets.count > 1 { networks[index].subnets.removeLast() }
            default:
                let network = networks[random(networks.count)]
                if let bound = bindings.firstIndex(where: { $0.bridge == network.bridge }) {
                    bindings.remove(at: bound)
                } else if let subnet = network.subnets.first {
                    let host = subnet.family == .v4 ? "10.\(network.bridge.dropFirst(4)).0.2" : "fd00:\(network.bridge.dropFirst(4))::2"
                    bindings.append(FirewallPortBinding(bridge: network.bridge, proto: "tcp", hostPort: 1000 + step,
                                                        containerIP: IPAddress(host)!, containerPort: 80))
                }
            }
            bindings.removeAll { binding in !networks.contains { $0.bridge == binding.bridge && $0.subnets.contains { $0.contains(binding.containerIP) } } }
            let state = try FirewallState(networks: networks, bindings: bindings)
            for family in [IPFamily.v4, .v6] {
                let sections = FirewallRules.sections(state, family: family, chains: chains, cache: &cache)
                XCTAssertEqual(sections.map(\.text).joined(), try FirewallRules.render(networks: networks, bindings: bindings, family: family),
                               "step \(step), \(family)")
                // The guard leaves out, during a read a patch overlapped, the chains that differ
                // between the two renderings: they must be exactly those, and hold every chain
                // the patch writes a line for.
                if let before = previous[family], let patch = FirewallPatch.between(installed: before, wanted: sections) {
                    var spec: Set<String> = []
                    for (old, new) in zip(before, sections) {
                        for chain in Set(old.chains).union(new.chains)
                        where old.chains.contains(chain) != new.chains.contains(chain) || old.rules[chain] != new.rules[chain] {
                            spec.insert(chain)
                        }
                    }
                    let differing = FirewallPatch.differing(before, sections)
                    XCTAssertEqual(differing, spec, "step \(step), \(family)")
                    let written = Set(touched(patch, wanted: sections).keys)
                    XCTAssertTrue(written.isSubset(of: differing ?? []),
                                  "step \(step), \(family): the patch changes \(written.subtracting(differing ?? [])), which differ not\n\(patch)")
                }
                previous[family] = sections
            }
        }
    }
}
