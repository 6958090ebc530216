import SwiftnetAddress
import XCTest
@testable import SwiftnetFirewall

/// The rules text as a pure function: no root, no iptables.
final class FirewallRulesTests: XCTestCase {
    let web = FirewallNetwork(bridge: "swn-0123456789", subnets: [IPPrefix("10.50.0.0/24")!, IPPrefix("fd00:50::/64")!])
    var port8080: FirewallPortBinding {
        FirewallPortBinding(bridge: "swn-0123456789", proto: "tcp", hostPort: 8080, containerIP: IPAddress("10.50.0.2")!, containerPort: 80)
    }

    func testOneNetworkWithOnePublishedPort() throws {
        let text = try FirewallRules.render(networks: [web], bindings: [port8080], family: .v4)
        XCTAssertEqual(FirewallChains.bucket(of: port8080.containerIP), 31)
        XCTAssertEqual(text, """
            *filter
            :SWIFTNET-ACCEPT - [0:0]
            :SWIFTNET-ACCEPT-31 - [0:0]
            :SWIFTNET-DNATED - [0:0]
            :SWIFTNET-DNATED-0 - [0:0]
            :SWIFTNET-FORWARD - [0:0]
            :SWIFTNET-FORWARD-0 - [0:0]
            :SWIFTNET-INBOUND - [0:0]
            :SWIFTNET-ISOLATION - [0:0]
            -A SWIFTNET-ACCEPT -j SWIFTNET-ACCEPT-31
            -A SWIFTNET-ACCEPT-31 -d 10.50.0.2/32 -o swn-0123456789 -p tcp -m tcp --dport 80 -j ACCEPT
            -A SWIFTNET-DNATED -i swn-0+ -j SWIFTNET-DNATED-0
            -A SWIFTNET-DNATED -o swn-0+ -j SWIFTNET-DNATED-0
            -A SWIFTNET-DNATED-0 -i swn-0123456789 -j SWIFTNET-ACCEPT
            -A SWIFTNET-DNATED-0 -o swn-0123456789 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A SWIFTNET-FORWARD -m conntrack --ctstate DNAT -j SWIFTNET-DNATED
            -A SWIFTNET-FORWARD -i swn-0+ -j SWIFTNET-FORWARD-0
            -A SWIFTNET-FORWARD -o swn-0+ -j SWIFTNET-FORWARD-0
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j ACCEPT
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 -j SWIFTNET-ISOLATION
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -j SWIFTNET-INBOUND
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -j SWIFTNET-ACCEPT
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 ! -o swn-0123456789 -j ACCEPT
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -j DROP
            -A SWIFTNET-INBOUND -i docker0 -j DROP
            -A SWIFTNET-INBOUND -i br-+ -j DROP
            -A SWIFTNET-INBOUND -i swn-+ -j DROP
            -A SWIFTNET-ISOLATION -o docker0 -j DROP
            -A SWIFTNET-ISOLATION -o br-+ -j DROP
            -A SWIFTNET-ISOLATION -o swn-+ -j DROP
            COMMIT
            *nat
            :SWIFTNET-DNAT - [0:0]
            :SWIFTNET-DNAT-31 - [0:0]
            :SWIFTNET-HAIRPIN-31 - [0:0]
            :SWIFTNET-POSTROUTING - [0:0]
            -A SWIFTNET-DNAT -j SWIFTNET-DNAT-31
            -A SWIFTNET-DNAT-31 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.50.0.2:80
            -A SWIFTNET-HAIRPIN-31 -s 10.50.0.2/32 -d 10.50.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
            -A SWIFTNET-POSTROUTING -j SWIFTNET-HAIRPIN-31
            -A SWIFTNET-POSTROUTING -s 10.50.0.0/24 ! -o swn-0123456789 -j MASQUERADE
            -A SWIFTNET-POSTROUTING -o swn-0123456789 -m addrtype --src-type LOCAL -j MASQUERADE
            COMMIT
            *raw
            :SWIFTNET-LOOPBACK - [0:0]
            -A SWIFTNET-LOOPBACK -d 127.0.0.0/8 -i swn-+ -j DROP
            COMMIT

            """)
    }

    /// Docker's bridges named otherwise than docker0 and br-… (`com.docker.network.bridge.name`)
    /// are dropped to and from like those, after the wildcards; without networks, nothing.
    func testDockersBridgesNamedOtherwiseAreIsolatedToo() throws {
        for family in [IPFamily.v4, .v6] {
            let without = try FirewallRules.render(networks: [web], bindings: [], family: family)
            let with = try FirewallRules.render(networks: [web], bindings: [], family: family, dockerBridges: ["lan5", "mybr"])
            let lines = with.split(separator: "\n").map(String.init)
            XCTAssertEqual(Array(lines.filter { $0.hasPrefix("-A SWIFTNET-ISOLATION") }.suffix(2)),
                           ["-A SWIFTNET-ISOLATION -o lan5 -j DROP", "-A SWIFTNET-ISOLATION -o mybr -j DROP"], "\(family)")
            XCTAssertEqual(Array(lines.filter { $0.hasPrefix("-A SWIFTNET-INBOUND") }.suffix(2)),
                           ["-A SWIFTNET-INBOUND -i lan5 -j DROP", "-A SWIFTNET-INBOUND -i mybr -j DROP"], "\(family)")
            XCTAssertEqual(with.split(separator: "\n").filter { !$0.contains(" lan5 ") && !$0.contains(" mybr ") },
                           without.split(separator: "\n"), "\(family): nothing else changes")
            XCTAssertFalse(try FirewallRules.render(networks: [], bindings: [], family: family, dockerBridges: ["mybr"]).contains("mybr"))
        }
    }

    func testEmptyStateDeclaresEmptyChains() throws {
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(try FirewallRules.render(networks: [], bindings: [], family: family, prefix: "SWT000001"), """
                *filter
                :SWT000001-ACCEPT - [0:0]
                :SWT000001-DNATED - [0:0]
                :SWT000001-FORWARD - [0:0]
                :SWT000001-INBOUND - [0:0]
                :SWT000001-ISOLATION - [0:0]
                COMMIT
                *nat
                :SWT000001-DNAT - [0:0]
                :SWT000001-POSTROUTING - [0:0]
                COMMIT

                """ + (family == .v4 ? "*raw\n:SWT000001-LOOPBACK - [0:0]\nCOMMIT\n" : ""))
        }
    }

    /// Internal: bridge-local only; no NAT, no published ports (dockerd does not publish
    /// ports of containers on internal networks either), masquerade ignored.
    func testInternalNetwork() throws {
        var network = web
        network.isInternal = true
        let text = try FirewallRules.render(networks: [network], bindings: [port8080], family: .v4)
        XCTAssertEqual(text, """
            *filter
            :SWIFTNET-ACCEPT - [0:0]
            :SWIFTNET-DNATED - [0:0]
            :SWIFTNET-FORWARD - [0:0]
            :SWIFTNET-FORWARD-0 - [0:0]
            :SWIFTNET-INBOUND - [0:0]
            :SWIFTNET-ISOLATION - [0:0]
            -A SWIFTNET-FORWARD -i swn-0+ -j SWIFTNET-FORWARD-0
            -A SWIFTNET-FORWARD -o swn-0+ -j SWIFTNET-FORWARD-0
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j ACCEPT
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 -j SWIFTNET-ISOLATION
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 ! -o swn-0123456789 -j DROP
            -A SWIFTNET-FORWARD-0 ! -i swn-0123456789 -o swn-0123456789 -j DROP
            -A SWIFTNET-INBOUND -i docker0 -j DROP
            -A SWIFTNET-INBOUND -i br-+ -j DROP
            -A SWIFTNET-INBOUND -i swn-+ -j DROP
            -A SWIFTNET-ISOLATION -o docker0 -j DROP
            -A SWIFTNET-ISOLATION -o br-+ -j DROP
            -A SWIFTNET-ISOLATION -o swn-+ -j DROP
            COMMIT
            *nat
            :SWIFTNET-DNAT - [0:0]
            :SWIFTNET-POSTROUTING - [0:0]
            COMMIT
            *raw
            :SWIFTNET-LOOPBACK - [0:0]
            -A SWIFTNET-LOOPBACK -d 127.0.0.0/8 -i swn-+ -j DROP
            COMMIT

            """)
    }

    func testInterContainerOff() throws {
        var network = web
        network.interContainer = false
        let lines = try FirewallRules.render(networks: [network], bindings: [], family: .v4).split(separator: "\n")
        XCTAssertTrue(lines.contains("-A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j DROP"))
        XCTAssertFalse(lines.contains("-A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j ACCEPT"))
        XCTAssertEqual(lines.first { $0.contains("-o swn-0123456789") }, "-A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j DROP",
                       "decided before anything else about the bridge")
    }

    /// No masquerade of the subnet; the two rules that make published ports work stay.
    func testNoMasquerade() throws {
        var network = web
        network.masquerade = false
        let nat = try FirewallRules.render(networks: [network], bindings: [port8080], family: .v4)
            .components(separatedBy: "*nat\n")[1].components(separatedBy: "*raw\n")[0]
        XCTAssertEqual(nat, """
            :SWIFTNET-DNAT - [0:0]
            :SWIFTNET-DNAT-31 - [0:0]
            :SWIFTNET-HAIRPIN-31 - [0:0]
            :SWIFTNET-POSTROUTING - [0:0]
            -A SWIFTNET-DNAT -j SWIFTNET-DNAT-31
            -A SWIFTNET-DNAT-31 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.50.0.2:80
            -A SWIFTNET-HAIRPIN-31 -s 10.50.0.2/32 -d 10.50.0.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
            -A SWIFTNET-POSTROUTING -j SWIFTNET-HAIRPIN-31
            -A SWIFTNET-POSTROUTING -o swn-0123456789 -m addrtype --src-type LOCAL -j MASQUERADE
            COMMIT

            """)
        let withoutPorts = try FirewallRules.render(networks: [network], bindings: [], family: .v4)
        XCTAssertFalse(withoutPorts.contains("MASQUERADE"))
    }

    /// IPv6: the same rules with IPv6 addresses, the IPv4 pool and bindings left out.
    func testIPv6() throws {
        let v6 = FirewallPortBinding(bridge: "swn-0123456789", proto: "udp", hostIP: IPAddress("2001:db8::1")!, hostPort: 5353,
                                     containerIP: IPAddress("fd00:50::2")!, containerPort: 53)
        let text = try FirewallRules.render(networks: [web], bindings: [port8080, v6], family: .v6)
        XCTAssertEqual(text, """
            *filter
            :SWIFTNET-ACCEPT - [0:0]
            :SWIFTNET-ACCEPT-14 - [0:0]
            :SWIFTNET-DNATED - [0:0]
            :SWIFTNET-DNATED-0 - [0:0]
            :SWIFTNET-FORWARD - [0:0]
            :SWIFTNET-FORWARD-0 - [0:0]
            :SWIFTNET-INBOUND - [0:0]
            :SWIFTNET-ISOLATION - [0:0]
            -A SWIFTNET-ACCEPT -j SWIFTNET-ACCEPT-14
            -A SWIFTNET-ACCEPT-14 -d fd00:50::2/128 -o swn-0123456789 -p udp -m udp --dport 53 -j ACCEPT
            -A SWIFTNET-DNATED -i swn-0+ -j SWIFTNET-DNATED-0
            -A SWIFTNET-DNATED -o swn-0+ -j SWIFTNET-DNATED-0
            -A SWIFTNET-DNATED-0 -i swn-0123456789 -j SWIFTNET-ACCEPT
            -A SWIFTNET-DNATED-0 -o swn-0123456789 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A SWIFTNET-FORWARD -m conntrack --ctstate DNAT -j SWIFTNET-DNATED
            -A SWIFTNET-FORWARD -i swn-0+ -j SWIFTNET-FORWARD-0
            -A SWIFTNET-FORWARD -o swn-0+ -j SWIFTNET-FORWARD-0
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 -o swn-0123456789 -j ACCEPT
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 -j SWIFTNET-ISOLATION
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -j SWIFTNET-INBOUND
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -j SWIFTNET-ACCEPT
            -A SWIFTNET-FORWARD-0 -i swn-0123456789 ! -o swn-0123456789 -j ACCEPT
            -A SWIFTNET-FORWARD-0 -o swn-0123456789 -j DROP
            -A SWIFTNET-INBOUND -i docker0 -j DROP
            -A SWIFTNET-INBOUND -i br-+ -j DROP
            -A SWIFTNET-INBOUND -i swn-+ -j DROP
            -A SWIFTNET-ISOLATION -o docker0 -j DROP
            -A SWIFTNET-ISOLATION -o br-+ -j DROP
            -A SWIFTNET-ISOLATION -o swn-+ -j DROP
            COMMIT
            *nat
            :SWIFTNET-DNAT - [0:0]
            :SWIFTNET-DNAT-14 - [0:0]
            :SWIFTNET-HAIRPIN-14 - [0:0]
            :SWIFTNET-POSTROUTING - [0:0]
            -A SWIFTNET-DNAT -j SWIFTNET-DNAT-14
            -A SWIFTNET-DNAT-14 -d 2001:db8::1/128 -p udp -m udp --dport 5353 -j DNAT --to-destination [fd00:50::2]:53
            -A SWIFTNET-HAIRPIN-14 -s fd00:50::2/128 -d fd00:50::2/128 -p udp -m udp --dport 53 -j MASQUERADE
            -A SWIFTNET-POSTROUTING -j SWIFTNET-HAIRPIN-14
            -A SWIFTNET-POSTROUTING -s fd00:50::/64 ! -o swn-0123456789 -j MASQUERADE
            -A SWIFTNET-POSTROUTING -o swn-0123456789 -m addrtype --src-type LOCAL -j MASQUERADE
            COMMIT

            """, "no raw section: the kernel never accepts ::1 from outside lo, and some have no ip6tables raw table")
    }

    /// A network created later (a higher `sequence`) has its rules after every other
    /// network's in its chains, whatever its bridge's name, so that adding it only appends
    /// (`FirewallPatch` writes `-A`, which `iptables-restore` does without reading the chain),
    /// with ports published on the host as well (the DNATED chain takes its DNAT'ed packets).
    /// The first network of a branch inserts the jumps to it into the main chains, which hold
    /// at most two per branch and the rules of bridges named otherwise.
    func testANewNetworksRulesAreAppended() throws {
        var first = FirewallNetwork(bridge: "swn-ffffffffff", subnets: [IPPrefix("10.52.0.0/24")!])
        first.sequence = 1
        var later = FirewallNetwork(bridge: "swn-f000000000", subnets: [IPPrefix("10.53.0.0/24")!])
        later.sequence = 2
        var newBranch = FirewallNetwork(bridge: "swn-0000000000", subnets: [IPPrefix("10.54.0.0/24")!])
        newBranch.sequence = 3
        var named = FirewallNetwork(bridge: "custom0", subnets: [IPPrefix("10.55.0.0/24")!])
        named.sequence = 4
        let chains = try FirewallChains(prefix: "SWIFTNET")
        for bindings in [[], [FirewallPortBinding(bridge: "swn-ffffffffff", proto: "tcp", hostPort: 80, containerIP: IPAddress("10.52.0.2")!,
                                                  containerPort: 80)]] {
            for family in [IPFamily.v4, .v6] {
                var cache = FirewallRenderCache()
                var held = [first]
                var installed = FirewallRules.sections(try FirewallState(networks: held, bindings: bindings), family: family,
                                                       chains: chains, cache: &cache)
                for added in [later, newBranch, named] {
                    held.append(added)
                    let wanted = FirewallRules.sections(try FirewallState(networks: held, bindings: bindings), family: family,
                                                        chains: chains, cache: &cache)
                    let patch = try XCTUnwrap(FirewallPatch.between(installed: installed, wanted: wanted))
                    installed = wanted
                    let edits = patch.split(separator: "\n").filter { $0.hasPrefix("-") }.map(String.init)
                    XCTAssertFalse(edits.isEmpty)
                    let inserted = edits.filter { !$0.hasPrefix("-A ") }
                    if added.bridge == newBranch.bridge {
                        let publishing = !bindings.isEmpty && family == .v4  // the binding is IPv4's
                        let dnated = ["-I SWIFTNET-DNATED 1 -i swn-0+ -j SWIFTNET-DNATED-0", "-I SWIFTNET-DNATED 3 -o swn-0+ -j SWIFTNET-DNATED-0"]
                        let forward = ["-I SWIFTNET-FORWARD \(publishing ? 2 : 1) -i swn-0+ -j SWIFTNET-FORWARD-0",
                                       "-I SWIFTNET-FORWARD \(publishing ? 4 : 3) -o swn-0+ -j SWIFTNET-FORWARD-0"]
                        XCTAssertEqual(inserted, (publishing ? dnated : []) + forward, "\(family): \(patch)")
                    } else {
                        XCTAssertEqual(inserted, [], "\(family): \(patch)")
                    }
                    if !bindings.isEmpty && family == .v4 {  // the binding is IPv4's
                        let branch = FirewallChains.branch(of: added.bridge).map { "SWIFTNET-DNATED-\($0)" } ?? "SWIFTNET-DNATED"
                        XCTAssertTrue(edits.contains("-A \(branch) -i \(added.bridge) -j SWIFTNET-ACCEPT"), patch)
                    }
                    XCTAssertTrue(edits.allSatisfy { !$0.hasPrefix("-A ") || $0.contains(added.bridge) || $0.contains(added.subnets[0].description) },
                                  "\(family): \(patch)")
                }
            }
        }
    }

    func testJumps() throws {
        XCTAssertEqual(try FirewallRules.jumps(family: .v4, prefix: "SWT1A2B3C").map(\.checkArguments), [
            ["-w", "-t", "filter", "-C", "FORWARD", "-j", "SWT1A2B3C-FORWARD"],
            ["-w", "-t", "nat", "-C", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "SWT1A2B3C-DNAT"],
            ["-w", "-t", "nat", "-C", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "SWT1A2B3C-DNAT"],
            ["-w", "-t", "nat", "-C", "POSTROUTING", "-j", "SWT1A2B3C-POSTROUTING"],
            ["-w", "-t", "raw", "-C", "PREROUTING", "-j", "SWT1A2B3C-LOOPBACK"],
        ])
        let v6 = try FirewallRules.jumps(family: .v6, prefix: "SWT1A2B3C")
        XCTAssertEqual(v6[2].insertArguments,
                       ["-w", "-t", "nat", "-I", "OUTPUT", "1", "!", "-d", "::1/128", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "SWT1A2B3C-DNAT"])
        XCTAssertEqual(v6[0].deleteArguments, ["-w", "-t", "filter", "-D", "FORWARD", "-j", "SWT1A2B3C-FORWARD"])
        XCTAssertEqual(v6[3].description, "-A POSTROUTING -j SWT1A2B3C-POSTROUTING")
        XCTAssertEqual(v6.count, 4, "IPv6 has no loopback drop, so no raw jump")
    }

    /// Published ports through a host address: the DNAT'ed packets of every network that is
    /// not internal pass before the isolation and icc rules, naming their bridge both ways; an
    /// internal network's get nothing, so its own DROPs decide them.
    func testDNATedPacketsPassFirstOnlyFromNetworksThatAreNotInternal() throws {
        var closed = FirewallNetwork(bridge: "swn-aaaaaaaaaa", subnets: [IPPrefix("10.51.0.0/24")!])
        closed.isInternal = true
        let lines = try FirewallRules.render(networks: [web, closed], bindings: [port8080], family: .v4).split(separator: "\n")
        let forward = lines.filter { $0.hasPrefix("-A SWIFTNET-FORWARD") }
        XCTAssertEqual(forward.first, "-A SWIFTNET-FORWARD -m conntrack --ctstate DNAT -j SWIFTNET-DNATED", "first, before any isolation")
        XCTAssertEqual(lines.filter { $0.hasPrefix("-A SWIFTNET-DNATED") }, [
            "-A SWIFTNET-DNATED -i swn-0+ -j SWIFTNET-DNATED-0",
            "-A SWIFTNET-DNATED -o swn-0+ -j SWIFTNET-DNATED-0",
            "-A SWIFTNET-DNATED-0 -i swn-0123456789 -j SWIFTNET-ACCEPT",
            "-A SWIFTNET-DNATED-0 -o swn-0123456789 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
        ], "the internal network gets none, nor a branch")
        XCTAssertEqual(forward.filter { $0.contains("ctstate DNAT") }.count, 1)
        XCTAssertTrue(forward.contains("-A SWIFTNET-FORWARD-a -i swn-aaaaaaaaaa ! -o swn-aaaaaaaaaa -j DROP"))
        // Nothing published: no such rules.
        let unpublished = try FirewallRules.render(networks: [web, closed], bindings: [], family: .v4)
        XCTAssertFalse(unpublished.contains("ctstate DNAT"))
        XCTAssertFalse(unpublished.contains("-A SWIFTNET-DNATED"))
    }

    /// Two networks: each is isolated from the other and from Docker's bridges; rules come out
    /// in bridge order (of networks of one `sequence`) whatever order the caller held them in.
    func testTwoNetworksAreIsolatedAndOrderDoesNotMatter() throws {
        let other = FirewallNetwork(bridge: "swn-aaaaaaaaaa", subnets: [IPPrefix("10.51.0.0/24")!], interContainer: false)
        let second = FirewallPortBinding(bridge: "swn-aaaaaaaaaa", proto: "sctp", hostIP: IPAddress("127.0.0.1")!, hostPort: 9000,
                                         containerIP: IPAddress("10.51.0.7")!, containerPort: 9000)
        let a = try FirewallRules.render(networks: [web, other], bindings: [port8080, second], family: .v4)
        let b = try FirewallRules.render(networks: [other, web], bindings: [second, port8080], family: .v4)
        XCTAssertEqual(a, b)
        let lines = a.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.hasPrefix("-A SWIFTNET-ISOLATION") }, [
            "-A SWIFTNET-ISOLATION -o docker0 -j DROP",
            "-A SWIFTNET-ISOLATION -o br-+ -j DROP",
            "-A SWIFTNET-ISOLATION -o swn-+ -j DROP",
        ])
        XCTAssertEqual(lines.filter { $0.hasPrefix("-A SWIFTNET-DNAT") && !$0.hasPrefix("-A SWIFTNET-DNATED") }, [
            "-A SWIFTNET-DNAT -j SWIFTNET-DNAT-27",
            "-A SWIFTNET-DNAT -j SWIFTNET-DNAT-31",
            "-A SWIFTNET-DNAT-27 -d 127.0.0.1/32 -p sctp -m sctp --dport 9000 -j DNAT --to-destination 10.51.0.7:9000",
            "-A SWIFTNET-DNAT-31 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.50.0.2:80",
        ])
        XCTAssertTrue(lines.contains("-A SWIFTNET-FORWARD-a -i swn-aaaaaaaaaa -j SWIFTNET-ISOLATION"))
        XCTAssertEqual(lines.filter { $0.hasPrefix("-A SWIFTNET-INBOUND") }, [
            "-A SWIFTNET-INBOUND -i docker0 -j DROP",
            "-A SWIFTNET-INBOUND -i br-+ -j DROP",
            "-A SWIFTNET-INBOUND -i swn-+ -j DROP",
        ])
        XCTAssertTrue(lines.contains("-A SWIFTNET-FORWARD-a -i swn-aaaaaaaaaa -o swn-aaaaaaaaaa -j DROP"))
        XCTAssertEqual(lines.filter { $0.hasPrefix("-A SWIFTNET-FORWARD ") }, [
            "-A SWIFTNET-FORWARD -m conntrack --ctstate DNAT -j SWIFTNET-DNATED",
            "-A SWIFTNET-FORWARD -i swn-0+ -j SWIFTNET-FORWARD-0",
            "-A SWIFTNET-FORWARD -i swn-a+ -j SWIFTNET-FORWARD-a",
            "-A SWIFTNET-FORWARD -o swn-0+ -j SWIFTNET-FORWARD-0",
            "-A SWIFTNET-FORWARD -o swn-a+ -j SWIFTNET-FORWARD-a",
        ], "a branch per first character, both ways")
    }

    /// One container port on two host addresses: two DNAT rules, one ACCEPT. An exact
    /// duplicate binding is one binding; 0.0.0.0 means every address.
    func testDuplicatesCollapseAndUnspecifiedHostIsEveryAddress() throws {
        var onLoopback = port8080
        onLoopback.hostIP = IPAddress("127.0.0.1")!
        onLoopback.hostPort = 8081
        var unspecified = port8080
        unspecified.hostIP = IPAddress("0.0.0.0")!
        let text = try FirewallRules.render(networks: [web], bindings: [port8080, onLoopback, port8080, unspecified], family: .v4)
        XCTAssertEqual(text, try FirewallRules.render(networks: [web], bindings: [port8080, onLoopback], family: .v4))
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.filter { $0.contains("--dport 80 -j ACCEPT") }.count, 1)
        XCTAssertEqual(lines.filter { $0.hasPrefix("-A SWIFTNET-DNAT") && !$0.hasPrefix("-A SWIFTNET-DNATED") }, [
            "-A SWIFTNET-DNAT -j SWIFTNET-DNAT-31",
            "-A SWIFTNET-DNAT-31 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.50.0.2:80",
            "-A SWIFTNET-DNAT-31 -d 127.0.0.1/32 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.50.0.2:80",
        ])
    }

    /// Nothing from the request side can end a rule line or add an option: every such value
    /// is refused before any text is made, for either family.
    func testInjectionAttemptsAreRefused() {
        let badBridges = ["swn-x\n-A INPUT -j ACCEPT", "swn x", "swn+", "!swn", "-j", "", "swn-0123456789ab", "docker0",
                          "br-0123456789ab", "swń", "swn\u{0}", "swn;id", "swn\"", "swn\r", "\u{FF0D}swn"]
        for bridge in badBridges {
            var network = web
            network.bridge = bridge
            for family in [IPFamily.v4, .v6] {
                XCTAssertThrowsError(try FirewallRules.render(networks: [network], bindings: [], family: family), bridge.debugDescription) {
                    XCTAssertEqual($0 as? FirewallError, .invalidBridge(bridge))
                }
            }
            var binding = port8080
            binding.bridge = bridge
            XCTAssertThrowsError(try FirewallRules.render(networks: [web], bindings: [binding], family: .v4)) {
                XCTAssertEqual($0 as? FirewallError, .invalidBridge(bridge))
            }
        }
        for proto in ["tcp -j ACCEPT", "TCP", "icmp", "all", "", "tcp\n", "6"] {
            var binding = port8080
            binding.proto = proto
            XCTAssertThrowsError(try FirewallRules.render(networks: [web], bindings: [binding], family: .v4)) {
                XCTAssertEqual($0 as? FirewallError, .invalidProtocol(proto))
            }
        }
        for port in [0, -1, 65536, Int.max] {
            var host = port8080
            host.hostPort = port
            var container = port8080
            container.containerPort = port
            for binding in [host, container] {
                XCTAssertThrowsError(try FirewallRules.render(networks: [web], bindings: [binding], family: .v6)) {
                    XCTAssertEqual($0 as? FirewallError, .invalidPort(port))
                }
            }
        }
        for prefix in ["", "SW T", "SW\nT", "-SWT", "_SWT", "DOCKER", "docker-x", "ABCDEFGHIJKLMNOPQ", "SWT+", "SWŤ"] {
            XCTAssertThrowsError(try FirewallRules.render(networks: [], bindings: [], family: .v4, prefix: prefix)) {
                XCTAssertEqual($0 as? FirewallError, .invalidPrefix(prefix))
            }
            XCTAssertThrowsError(try FirewallRules.jumps(family: .v4, prefix: prefix))
        }
        for prefix in ["ABCDEFGHIJKLMNOP", "1SWT", "swiftnet_test-2"] {
            XCTAssertNoThrow(try FirewallRules.render(networks: [], bindings: [], family: .v4, prefix: prefix))
        }
    }

    func testInconsistentStateIsRefused() {
        func refuses(_ networks: [FirewallNetwork], _ bindings: [FirewallPortBinding], _ expected: (FirewallError) -> Bool,
                     line: UInt = #line) {
            for family in [IPFamily.v4, .v6] {
                XCTAssertThrowsError(try FirewallRules.render(networks: networks, bindings: bindings, family: family), line: line) {
                    XCTAssertTrue(($0 as? FirewallError).map(expected) ?? false, "\($0)", line: line)
                }
            }
        }
        refuses([web, web], []) { $0 == .duplicateBridge("swn-0123456789") }
        refuses([FirewallNetwork(bridge: "swn-1", subnets: [IPPrefix("0.0.0.0/0")!])], []) { if case .invalidSubnet = $0 { true } else { false } }
        var unknown = port8080
        unknown.bridge = "swn-1"
        refuses([web], [unknown]) { $0 == .unknownBridge("swn-1") }
        var mixed = port8080
        mixed.hostIP = IPAddress("2001:db8::1")!
        refuses([web], [mixed]) { if case .familyMismatch = $0 { true } else { false } }
        var outside = port8080
        outside.containerIP = IPAddress("10.99.0.2")!
        refuses([web], [outside]) { if case .containerOutsideNetwork = $0 { true } else { false } }
        var clash = port8080
        clash.containerIP = IPAddress("10.50.0.3")!
        clash.hostIP = IPAddress("192.0.2.1")!
        refuses([web], [port8080, clash]) { if case .portConflict = $0 { true } else { false } }
        // Same port on two different host addresses, or on two protocols, is no clash.
        var elsewhere = clash
        elsewhere.hostIP = IPAddress("192.0.2.2")!
        XCTAssertNoThrow(try FirewallRules.render(networks: [web], bindings: [clash, elsewhere], family: .v4))
        var udp = port8080
        udp.proto = "udp"
        XCTAssertNoThrow(try FirewallRules.render(networks: [web], bindings: [port8080, udp], family: .v4))
    }

    /// A large state renders in linear time (the server re-renders after every change).
    func testLargeState() throws {
        var networks: [FirewallNetwork] = []
        var bindings: [FirewallPortBinding] = []
        for n in 0..<250 {
            let bridge = "swn-\(String(n, radix: 16).leftPadded(to: 10))"
            networks.append(FirewallNetwork(bridge: bridge, subnets: [IPPrefix("10.\(n / 250).\(n % 250).0/24")!]))
            for c in 0..<8 {
                bindings.append(FirewallPortBinding(bridge: bridge, proto: "tcp", hostPort: 10_000 + n * 8 + c,
                                                    containerIP: IPAddress("10.\(n / 250).\(n % 250).\(c + 2)")!, containerPort: 80))
            }
        }
        let start = ContinuousClock.now
        let text = try FirewallRules.render(networks: networks.shuffled(), bindings: bindings.shuffled(), family: .v4)
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(text.split(separator: "\n").filter { $0.hasPrefix("-A SWIFTNET-DNAT-") }.count, 2000)
        XCTAssertLessThan(elapsed, .seconds(2))
    }
}
