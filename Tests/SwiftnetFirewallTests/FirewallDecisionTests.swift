import SwiftnetAddress
import XCTest
@testable import SwiftnetFirewall

/// What the rendered filter rules decide for every kind of forwarded packet, worked out by
/// walking them as iptables does (`RuleWalk`), against the decision written down plainly
/// (`expected`). Random sets of networks (bridges named `swn-…` in any branch and named
/// otherwise, internal or not, icc on or off, created in any order, publishing or not): the
/// layout of the chains must never change a decision, only how many rules a packet passes.
final class FirewallDecisionTests: XCTestCase {
    struct Packet: CustomStringConvertible {
        var input: String
        var output: String
        var established = false
        var dnated = false
        var destination: IPAddress?
        var proto = "tcp"
        var port = 80

        var description: String {
            "\(input) → \(output)\(established ? " established" : "")\(dnated ? " DNAT'ed" : "")"
                + (destination.map { " to \($0) \(proto)/\(port)" } ?? "")
        }
    }

    enum Verdict: Equatable { case accept, drop }

    /// The decision itself: a swiftnet bridge's traffic stays in its network (icc decides
    /// between its containers), leaves it only for interfaces that are not bridges (never if
    /// internal), and enters it only as replies or to a published port (never if internal);
    /// DNAT'ed packets to a published port pass from any network that is not internal, and
    /// their replies back. nil: not swiftnet's to decide (left to FORWARD).
    struct Expected {
        let byBridge: [String: FirewallNetwork]
        /// The bindings that are programmed: none of internal networks.
        let programmed: [FirewallPortBinding]

        init(networks: [FirewallNetwork], bindings: [FirewallPortBinding], family: IPFamily) {
            byBridge = Dictionary(uniqueKeysWithValues: networks.map { ($0.bridge, $0) })
            programmed = bindings.filter { [byBridge] binding in
                binding.containerIP.family == family && byBridge[binding.bridge].map { !$0.isInternal } ?? false
            }
        }

        /// The raw table's verdict on a packet to 127.0.0.1 arriving on `input` (IPv4): dropped
        /// on every swiftnet bridge and every swn- name while any network is held.
        func loopback(_ input: String) -> Verdict? {
            !byBridge.isEmpty && (byBridge[input] != nil || input.hasPrefix("swn-")) ? .drop : nil
        }

        func verdict(_ packet: Packet) -> Verdict? {
            let from = byBridge[packet.input], to = byBridge[packet.output]
            func isBridge(_ name: String) -> Bool {
                name == "docker0" || name.hasPrefix("br-") || name.hasPrefix("swn-") || byBridge[name] != nil
            }
            let published = programmed.contains {
                $0.containerIP == packet.destination && $0.bridge == packet.output && $0.proto == packet.proto && $0.containerPort == packet.port
            }
            if packet.dnated, !programmed.isEmpty {  // the DNATED chain exists while a port of the family is published
                if let from, !from.isInternal, published { return .accept }
                if let to, !to.isInternal, packet.established { return .accept }
            }
            if let from {
                if packet.input == packet.output { return from.interContainer ? .accept : .drop }
                if isBridge(packet.output) || from.isInternal { return .drop }
                return .accept
            }
            if let to {
                if isBridge(packet.input) || to.isInternal { return .drop }
                if packet.established { return .accept }
                return published ? .accept : .drop
            }
            return nil
        }
    }

    func testEveryPacketIsDecidedAsTheNetworksSay() throws {
        var generator = SystemRandomNumberGenerator()
        func random(_ count: Int) -> Int { Int.random(in: 0..<count, using: &generator) }
        var checked = 0
        for round in 0..<40 {
            var networks: [FirewallNetwork] = []
            var bindings: [FirewallPortBinding] = []
            for index in 0..<(1 + random(6)) {
                // Named otherwise now and then: plainly, with swn- and no branch, or swn- alone.
                let bridge = random(4) == 0 ? ["custom\(index)", "swn-Q\(index)", "swn-"][random(3)]
                    : "swn-" + String((0..<10).map { _ in FirewallChains.branches[random(random(2) == 0 ? 3 : 16)] })
                guard !networks.contains(where: { $0.bridge == bridge }) else { continue }
                let network = FirewallNetwork(bridge: bridge, subnets: [IPPrefix("10.\(index).0.0/24")!, IPPrefix("fd00:\(index)::/64")!],
                                              isInternal: random(4) == 0, interContainer: random(3) > 0, masquerade: random(2) == 0,
                                              sequence: random(4))
                networks.append(network)
                if random(2) == 0 {
                    bindings.append(FirewallPortBinding(bridge: bridge, proto: "tcp", hostPort: 8000 + index,
                                                        containerIP: IPAddress("10.\(index).0.2")!, containerPort: 80))
                    bindings.append(FirewallPortBinding(bridge: bridge, proto: "udp", hostPort: 8000 + index,
                                                        containerIP: IPAddress("fd00:\(index)::2")!, containerPort: 53))
                }
            }
            let interfaces = networks.map(\.bridge) + ["eth0", "docker0", "br-0123abcd", "swn-zzzz", "swn-0foreign"]
            for family in [IPFamily.v4, .v6] {
                let expected = Expected(networks: networks, bindings: bindings, family: family)
                let text = try FirewallRules.render(networks: networks, bindings: bindings, family: family)
                if family == .v4 {
                    let raw = try RuleWalk(text, table: "raw")
                    for input in interfaces {
                        let packet = Packet(input: input, output: "lo", destination: IPAddress("127.0.0.1"))
                        XCTAssertEqual(try raw.verdict(for: packet, from: "SWIFTNET-LOOPBACK"), expected.loopback(input),
                                       "round \(round), raw: \(packet)\nnetworks: \(networks)")
                    }
                }
                let walk = try RuleWalk(text, table: "filter")
                let targets: [(IPAddress, String, Int)?] = [nil] + bindings.filter { $0.containerIP.family == family }
                    .map { ($0.containerIP, $0.proto, $0.containerPort) }
                for input in interfaces {
                    for output in interfaces where input != output || networks.contains(where: { $0.bridge == input }) {
                        for target in targets {
                            for (established, dnated) in [(false, false), (true, false), (false, true), (true, true)] {
                                var packet = Packet(input: input, output: output, established: established, dnated: dnated)
                                if let target { (packet.destination, packet.proto, packet.port) = target }
                                let want = expected.verdict(packet)
                                let got = try walk.verdict(for: packet, from: "SWIFTNET-FORWARD")
                                XCTAssertEqual(got, want, "round \(round), \(family): \(packet)\nnetworks: \(networks)")
                                checked += 1
                                if got != want { return }
                            }
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThan(checked, 10_000)
    }

    /// The walk itself, on rules whose outcome is known, so that a walk that accepted
    /// or dropped everything could not pass the test above.
    func testTheWalkFollowsJumpsReturnsAndWildcards() throws {
        let walk = try RuleWalk("""
            *filter
            :A - [0:0]
            :B - [0:0]
            -A A -i x+ -j B
            -A A ! -i y -o z -j DROP
            -A A -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A B -o q -j RETURN
            -A B -d 10.0.0.2/32 -o p -p udp -m udp --dport 53 -j ACCEPT
            -A B -j DROP
            COMMIT

            """, table: "filter")
        typealias P = Packet
        XCTAssertEqual(try walk.verdict(for: P(input: "x1", output: "q"), from: "A"), nil)
        XCTAssertEqual(try walk.verdict(for: P(input: "x1", output: "q", established: true), from: "A"), .accept)
        XCTAssertEqual(try walk.verdict(for: P(input: "x1", output: "p"), from: "A"), .drop)
        XCTAssertEqual(try walk.verdict(for: P(input: "x1", output: "p", destination: IPAddress("10.0.0.2"), proto: "udp", port: 53), from: "A"),
                       .accept)
        XCTAssertEqual(try walk.verdict(for: P(input: "x1", output: "p", destination: IPAddress("10.0.0.2"), proto: "tcp", port: 53), from: "A"),
                       .drop)
        XCTAssertEqual(try walk.verdict(for: P(input: "w", output: "z"), from: "A"), .drop)
        XCTAssertEqual(try walk.verdict(for: P(input: "y", output: "z"), from: "A"), nil)
        XCTAssertThrowsError(try RuleWalk("*filter\n:A - [0:0]\n-A A -m mark --mark 1 -j DROP\nCOMMIT\n", table: "filter")
            .verdict(for: P(input: "a", output: "b"), from: "A"), "an option the walk does not know is an error, not a miss")
    }
}

/// A table's rules walked for one packet as iptables walks them: rule after rule, into a
/// chain on a jump, back on RETURN or at the chain's end, until ACCEPT or DROP. Knows the
/// options swiftnet's filter rules use and fails on any other.
struct RuleWalk {
    struct Unknown: Error, CustomStringConvertible {
        var description: String
    }

    let chains: [String: [[String]]]
    let declared: Set<String>

    init(_ text: String, table: String) throws {
        let sections = try XCTUnwrap(FirewallPatch.Section.parse(text))
        let section = try XCTUnwrap(sections.first { $0.table == table })
        chains = section.rules.mapValues { $0.map { $0.split(separator: " ").map(String.init) } }
        declared = Set(section.chains)
    }

    func verdict(for packet: FirewallDecisionTests.Packet, from chain: String) throws -> FirewallDecisionTests.Verdict? {
        try walk(chain, packet, depth: 0)
    }

    /// nil: the chain ran out or returned.
    private func walk(_ chain: String, _ packet: FirewallDecisionTests.Packet, depth: Int) throws -> FirewallDecisionTests.Verdict? {
        guard depth < 8 else { throw Unknown(description: "jumps nest deeper than swiftnet's do, at \(chain)") }
        for rule in chains[chain] ?? [] {
            guard let target = try matches(rule, packet) else { continue }
            switch target {
            case "ACCEPT": return .accept
            case "DROP": return .drop
            case "RETURN": return nil
            default:
                // iptables-restore refuses a jump to a chain the input does not declare.
                guard declared.contains(target) else { throw Unknown(description: "jump to undeclared \(target)") }
                if let verdict = try walk(target, packet, depth: depth + 1) { return verdict }
            }
        }
        return nil
    }

    /// The rule's target when the packet matches it, else nil.
    private func matches(_ rule: [String], _ packet: FirewallDecisionTests.Packet) throws -> String? {
        func interface(_ pattern: String, _ name: String) -> Bool {
            pattern.hasSuffix("+") ? name.hasPrefix(pattern.dropLast()) : name == pattern
        }
        var index = 0, negate = false, matched = true
        var target: String?
        func next() throws -> String {
            index += 1
            guard index < rule.count else { throw Unknown(description: "rule ends early: \(rule)") }
            return rule[index]
        }
        while index < rule.count {
            let option = rule[index]
            var hit = true
            switch option {
            case "!": negate = true; index += 1; continue
            case "-i": hit = interface(try next(), packet.input)
            case "-o": hit = interface(try next(), packet.output)
            case "-d":
                guard let prefix = IPPrefix(try next()) else { throw Unknown(description: "-d \(rule[index]) in \(rule)") }
                hit = packet.destination.map { prefix.contains($0) } ?? false
            case "-p": hit = try next() == packet.proto
            case "-m":
                let module = try next()
                guard ["conntrack", "tcp", "udp", "sctp"].contains(module) else { throw Unknown(description: "match \(module) in \(rule)") }
            case "--dport": hit = Int(try next()) == packet.port
            case "--ctstate":
                let states = try next().split(separator: ",")
                hit = states.contains { state in
                    (state == "DNAT" && packet.dnated) || (state == "ESTABLISHED" && packet.established)
                }
            case "-j": target = try next()
            default: throw Unknown(description: "option \(option) in \(rule)")
            }
            if hit == negate { matched = false }
            negate = false
            index += 1
        }
        guard let target else { throw Unknown(description: "no target: \(rule)") }
        return matched ? target : nil
    }
}
