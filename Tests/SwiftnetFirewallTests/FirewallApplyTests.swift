import Foundation
import Synchronization
import SwiftnetAddress
import XCTest
@testable import SwiftnetFirewall

/// Against the host's real tables (root). Every run uses its own chain prefix `SWT<6 hex>`
/// and bridge names `swt<6 hex>…` that no interface has, so the rules match no packet, and
/// tearDown removes them whatever happened; it also checks that nothing with the prefix is
/// left in either family's tables.
final class FirewallApplyTests: XCTestCase {
    var hex = ""
    var prefix: String { "SWT\(hex.uppercased())" }
    var firewall: Firewall!
    /// The families whose patch did not fit, as the firewall reported them.
    var refusedPatches = RefusedPatches()

    override func setUpWithError() throws {
        guard HostCommand.isRoot else { throw XCTSkip("needs root") }
        for tool in ["iptables", "iptables-restore", "iptables-save", "ip6tables", "ip6tables-restore", "ip6tables-save"] {
            guard HostCommand.hasTool("/usr/sbin/\(tool)") else { throw XCTSkip("no /usr/sbin/\(tool)") }
        }
        hex = HostCommand.uniqueHex()
        let refused = RefusedPatches()
        refusedPatches = refused
        firewall = Firewall(prefix: prefix) { family, _ in refused.families.withLock { $0.append(family) } }
    }

    override func tearDownWithError() throws {
        guard let firewall else { return }
        self.firewall = nil
        var failure: Error?
        do { try firewall.remove() } catch { failure = error }
        for save in ["/usr/sbin/iptables-save", "/usr/sbin/ip6tables-save"] {
            let left = HostCommand.run([save]).stdout.split(separator: "\n").filter { $0.contains(prefix) }
            XCTAssertEqual(left, [], "\(save) after remove()")
        }
        if let failure { throw failure }
    }

    var bridgeA: String { "swt\(hex)a" }
    var bridgeB: String { "swt\(hex)b" }

    func state() -> (networks: [FirewallNetwork], bindings: [FirewallPortBinding]) {
        let a = FirewallNetwork(bridge: bridgeA, subnets: [IPPrefix("10.250.1.0/24")!, IPPrefix("fd00:250:1::/64")!])
        let b = FirewallNetwork(bridge: bridgeB, subnets: [IPPrefix("10.250.2.0/24")!], isInternal: true)
        let bindings = [
            FirewallPortBinding(bridge: bridgeA, proto: "tcp", hostPort: 40080, containerIP: IPAddress("10.250.1.2")!, containerPort: 80),
            FirewallPortBinding(bridge: bridgeA, proto: "udp", hostIP: IPAddress("127.0.0.1")!, hostPort: 40053,
                                containerIP: IPAddress("10.250.1.3")!, containerPort: 53),
            FirewallPortBinding(bridge: bridgeA, proto: "sctp", hostPort: 40080, containerIP: IPAddress("fd00:250:1::2")!, containerPort: 80),
        ]
        return ([a, b], bindings)
    }

    /// With Docker's bridges named otherwise than docker0 and br-…, as either family's tables
    /// show them.
    func rendered(_ networks: [FirewallNetwork], _ bindings: [FirewallPortBinding], _ family: IPFamily) throws -> String {
        let chains = try FirewallChains(prefix: prefix)
        let names = [IPFamily.v4, .v6].flatMap { family in
            SavedTables(HostCommand.run([family == .v4 ? "/usr/sbin/iptables-save" : "/usr/sbin/ip6tables-save"]).stdout,
                        chains: chains, family: family).dockerBridges
        }
        return try FirewallRules.render(networks: networks, bindings: bindings, family: family, prefix: prefix,
                                        dockerBridges: Array(Set(names)).sorted())
    }

    /// The lines of built-in chains that jump into our chains, as iptables-save prints them.
    func jumpLines(_ family: IPFamily) -> [String] {
        HostCommand.run([family == .v4 ? "/usr/sbin/iptables-save" : "/usr/sbin/ip6tables-save"]).stdout
            .split(separator: "\n").map(String.init)
            .filter { $0.contains("-j \(prefix)-") && !$0.hasPrefix("-A \(prefix)-") }
    }

    func testApplyInstallsExactlyTheRenderedRulesAndJumps() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, bindings, family), "\(family)")
            XCTAssertEqual(try firewall.missingJumps(family: family), [])
            XCTAssertEqual(jumpLines(family).sorted(), try FirewallRules.jumps(family: family, prefix: prefix).map(\.description).sorted())
            // Right after the jump to DOCKER-USER where dockerd made one (the user's rules see
            // forwarded traffic first), else first; ahead of Docker's other rules either way.
            // Only other swiftnet servers' jumps (other tests running now) may stand between.
            let forward = HostCommand.run([family == .v4 ? "/usr/sbin/iptables" : "/usr/sbin/ip6tables", "-w", "-S", "FORWARD"])
                .stdout.split(separator: "\n").map(String.init).filter { $0.hasPrefix("-A ") }
            let mine = try XCTUnwrap(forward.firstIndex(of: "-A FORWARD -j \(prefix)-FORWARD"))
            let start = forward.firstIndex(of: "-A FORWARD -j DOCKER-USER").map { $0 + 1 } ?? 0
            XCTAssertGreaterThanOrEqual(mine, start, "\(forward)")
            XCTAssertTrue(forward[start..<mine].allSatisfy { $0.hasPrefix("-A FORWARD -j SW") && $0.hasSuffix("-FORWARD") }, "\(forward)")
        }
        XCTAssertTrue(try firewall.savedRules(family: .v6).contains("--to-destination [fd00:250:1::2]:80"))
    }

    func testReapplyIsIdempotent() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        let before = try [firewall.savedRules(family: .v4), firewall.savedRules(family: .v6)]
        let jumpsBefore = [jumpLines(.v4), jumpLines(.v6)]
        for _ in 0..<3 {
            try firewall.apply(networks: networks.reversed(), bindings: bindings.reversed())
        }
        XCTAssertEqual(try [firewall.savedRules(family: .v4), firewall.savedRules(family: .v6)], before)
        XCTAssertEqual([jumpLines(.v4), jumpLines(.v6)], jumpsBefore, "no duplicate jumps")
        XCTAssertEqual(jumpLines(.v4).count, 5)
        XCTAssertEqual(jumpLines(.v6).count, 4, "no raw jump for IPv6")
    }

    /// Two servers with their own prefixes on one host: each keeps the other's FORWARD jump
    /// where it stands (both right after DOCKER-USER), instead of swapping them for ever, and
    /// neither's doctor reports its jump as out of place.
    func testTwoPrefixesKeepTheirFORWARDJumpsWhereTheyStand() throws {
        let (networks, bindings) = state()
        let other = Firewall(prefix: prefix + "B")
        defer { try? other.remove() }
        let otherNetwork = FirewallNetwork(bridge: "swt\(hex)c", subnets: [IPPrefix("10.250.3.0/24")!])
        try firewall.apply(networks: networks, bindings: bindings)
        try other.apply(networks: [otherNetwork], bindings: [])
        func forward(_ family: IPFamily) -> [String] {
            // Only this test's two: a server running beside the tests may move its own.
            HostCommand.run([family == .v4 ? "/usr/sbin/iptables" : "/usr/sbin/ip6tables", "-w", "-S", "FORWARD"]).stdout
                .split(separator: "\n").map(String.init).filter { $0.contains(prefix) }
        }
        let before = [forward(.v4), forward(.v6)]
        XCTAssertTrue(before[0].contains("-A FORWARD -j \(prefix)-FORWARD") && before[0].contains("-A FORWARD -j \(prefix)B-FORWARD"), "\(before)")
        for _ in 0..<3 {
            try firewall.guardRules()
            try other.guardRules()
            XCTAssertEqual([forward(.v4), forward(.v6)], before, "no jump moved")
        }
        XCTAssertEqual(try firewall.drift(networks: networks, bindings: bindings).differences, [])
        XCTAssertEqual(try other.drift(networks: [otherNetwork], bindings: []).differences, [])
    }

    /// An unchanged state is not written again (the kernel's rule handles stay the same), so
    /// a re-apply neither pays for a transaction nor resets anything.
    func testReapplyOfTheSameStateWritesNothing() throws {
        guard HostCommand.hasTool("/usr/sbin/nft"),
              (try? HostCommand.must(["/usr/sbin/iptables", "--version"]))?.contains("nf_tables") == true
        else { throw XCTSkip("needs the nf_tables backend and nft") }
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        func handles() throws -> String {
            try HostCommand.must(["/usr/sbin/nft", "-a", "list", "chain", "ip", "filter", "\(prefix)-FORWARD"])
                + HostCommand.must(["/usr/sbin/nft", "-a", "list", "chain", "ip6", "nat", "\(prefix)-DNAT"])
        }
        let before = try handles()
        XCTAssertTrue(before.contains("# handle"))
        try firewall.apply(networks: networks, bindings: bindings)
        XCTAssertEqual(try handles(), before)
        var changed = bindings
        changed[0].hostPort = 40081
        try firewall.apply(networks: networks, bindings: changed)
        XCTAssertNotEqual(try handles(), before)
    }

    /// A change of one family after someone flushed our chains: its patch no longer fits, so
    /// that family is read and restored whole and the rules come back; a family whose
    /// rendering did not change is left alone until `guardRules` (the server's 5 s guard) reads
    /// the tables, sees the drift and restores it. (Until December 2026 the guard only made
    /// the next change read the tables, and the chains stayed flushed until then.)
    func testApplyChangeTrustsWhatItInstalledUntilTheGuardRestoresDrift() throws {
        let (networks, bindings) = state()
        try firewall.applyChange(networks: networks, bindings: bindings)
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, bindings, family))
        }
        // The chains holding the DNATs of bindings 0 (IPv4) and 2 (IPv6): the buckets of their addresses.
        let chains = try FirewallChains(prefix: prefix)
        try HostCommand.must(["/usr/sbin/iptables", "-t", "nat", "-F", chains.dnatBucket(FirewallChains.bucket(of: bindings[0].containerIP))])
        try HostCommand.must(["/usr/sbin/ip6tables", "-t", "nat", "-F", chains.dnatBucket(FirewallChains.bucket(of: bindings[2].containerIP))])
        var changed = bindings
        changed[0].hostPort = 40081  // an IPv4 binding: only the IPv4 rendering changes
        XCTAssertGreaterThan(try firewall.applyChange(networks: networks, bindings: changed), 0)
        XCTAssertEqual(try firewall.savedRules(family: .v4), try rendered(networks, changed, .v4))
        XCTAssertNotEqual(try firewall.savedRules(family: .v6), try rendered(networks, changed, .v6),
                          "unchanged family: not read, not rewritten")
        XCTAssertEqual(try firewall.applyChange(networks: networks, bindings: changed), 0)
        XCTAssertGreaterThan(try firewall.guardRules(), 0, "the guard restored nothing")
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, changed, family), "\(family)")
        }
        XCTAssertEqual(try firewall.guardRules(), 0, "a second round found drift again")
        XCTAssertEqual(try firewall.applyChange(networks: networks, bindings: changed), 0)
    }

    /// `applyChange` on another thread, waited for at most 20 s: "changed N", the error, or
    /// "held up" (a guard holding the lock while it calls this makes a test fail, not hang).
    func changeOnAnotherThread(_ networks: [FirewallNetwork], _ bindings: [FirewallPortBinding]) -> String {
        let firewall = self.firewall!
        let outcome = Mutex("held up")
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let result: String
            do { result = "changed \(try firewall.applyChange(networks: networks, bindings: bindings))" } catch { result = "\(error)" }
            outcome.withLock { $0 = result }
            done.signal()
        }
        return done.wait(timeout: .now() + 20) == .timedOut ? "held up" : outcome.withLock { $0 }
    }

    /// The guard reads the tables without holding up changes: a change made while it reads
    /// goes through at once, and is not taken for someone else's edit afterwards (the
    /// rendering it installed is still trusted: drift made after it stays unseen until the
    /// next guard round, as in the test above).
    func testAChangeDuringTheGuardsReadIsNeitherHeldUpNorTakenForDrift() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        var changed = bindings
        changed[0].hostPort = 40081
        let outcomes = Mutex<[String]>([])
        try firewall.guardRules { [changed] in
            // Once, between the IPv4 read and its comparison: the chains it patches are left out.
            guard outcomes.withLock({ $0.isEmpty }) else { return }
            let outcome = self.changeOnAnotherThread(networks, changed)
            outcomes.withLock { $0.append(outcome) }
        }
        XCTAssertEqual(outcomes.withLock { $0 }, ["changed 1"])
        XCTAssertEqual(firewall.guardRestoreCount, 0, "the change was taken for drift")
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, changed, family))
        }
        // Still trusted: an edit of ours behind its back is not read by the next change.
        let chains = try FirewallChains(prefix: prefix)
        try HostCommand.must(["/usr/sbin/iptables", "-t", "nat", "-F", chains.dnatBucket(FirewallChains.bucket(of: changed[0].containerIP))])
        XCTAssertEqual(try firewall.applyChange(networks: networks, bindings: changed), 0, "the guard forgot what the change installed")
    }

    /// A guard whose every read overlaps a patch of ours compares the chains the patches did
    /// not change and leaves theirs to later rounds: one such round neither restores nor
    /// forgets anything (the next change does not read the tables), drift in a chain it
    /// compared is restored in that round, and a chain left out `roundsSkippingLimit` rounds
    /// in a row is compared under the lock, so that a rule someone added to it goes. (Until
    /// December 2026 the guard forgot after one such round, and with 1,000 networks the next
    /// change then read and compared every rule under the lock; later it forgot after the
    /// limit, and restored nothing itself.)
    func testAGuardWhoseReadsOverlapPatchesComparesTheOtherChains() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        let chains = try FirewallChains(prefix: prefix)
        let ports = HostPorts()
        func last() -> [FirewallPortBinding] { withPort(bindings, ports.next.withLock { $0 }) }
        let bucket = chains.dnatBucket(FirewallChains.bucket(of: bindings[2].containerIP))

        XCTAssertEqual(try overlappedRound(networks, bindings, ports), ["changed 1", "changed 1"], "a change at each family's read")
        XCTAssertEqual(firewall.guardRestoreCount, 0, "a patch of ours during the read was taken for drift")
        XCTAssertEqual(try firewall.savedRules(family: .v6), try rendered(networks, last(), .v6))
        try HostCommand.must(["/usr/sbin/ip6tables", "-t", "nat", "-F", bucket])
        XCTAssertEqual(try firewall.applyChange(networks: networks, bindings: last()), 0,
                       "one round whose reads overlapped patches made the next change read the tables")
        try firewall.apply(networks: networks, bindings: last())

        // The bridges here are not named swn-…: their rules are in the main FORWARD chain.
        try HostCommand.must(["/usr/sbin/ip6tables", "-t", "filter", "-F", chains.forward])
        XCTAssertEqual(try overlappedRound(networks, bindings, ports).count, 2)
        XCTAssertEqual(firewall.guardRestoreCount, 1)
        XCTAssertEqual(try firewall.savedRules(family: .v6), try rendered(networks, last(), .v6), "drift in a compared chain was not restored")
        XCTAssertEqual(try firewall.applyChange(networks: networks, bindings: last()), 0)

        try firewall.apply(networks: networks, bindings: last())
        for round in 1..<Firewall.roundsSkippingLimit {
            XCTAssertEqual(try overlappedRound(networks, bindings, ports).count, 2, "round \(round)")
        }
        XCTAssertEqual(firewall.guardRestoreCount, 1, "a restore before the limit")
        // A rule beside the one each patch replaces: no patch notices it.
        try HostCommand.must(["/usr/sbin/ip6tables", "-t", "nat", "-A", bucket, "-p", "udp", "--dport", "9", "-j", "RETURN"])
        XCTAssertEqual(try overlappedRound(networks, bindings, ports).count, 2)
        XCTAssertEqual(firewall.guardRestoreCount, 2)
        XCTAssertEqual(try firewall.savedRules(family: .v6), try rendered(networks, last(), .v6),
                       "a rule added to a chain left out \(Firewall.roundsSkippingLimit) rounds in a row stayed")
    }

    /// The count of rounds that left a chain out starts again after a round that compared
    /// every chain, and after a whole restore at a read (which compared every chain itself):
    /// one round short of the limit on either side of them never makes the guard read the tables
    /// under the lock.
    func testTheGuardsCountStartsAgainAfterEveryChainWasCompared() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        let ports = HostPorts()
        func last() -> [FirewallPortBinding] { withPort(bindings, ports.next.withLock { $0 }) }
        // Each change is a patch, counted 1 (a whole restore would count the differences it
        // found, 2 here).
        func almostTheLimit() throws {
            for round in 1..<Firewall.roundsSkippingLimit {
                XCTAssertEqual(try overlappedRound(networks, bindings, ports), ["changed 1", "changed 1"], "round \(round)")
            }
        }
        try almostTheLimit()
        try firewall.guardRules()
        try almostTheLimit()
        // A whole restore between the IPv6 read and its comparison (the hook runs without the lock).
        let reads = Mutex(0)
        try firewall.guardRules {
            guard reads.withLock({ value in value += 1; return value }) == 2 else { return }
            do { try self.firewall.apply(networks: networks, bindings: last()) } catch { XCTFail("apply at the read: \(error)") }
        }
        try almostTheLimit()
        XCTAssertEqual(firewall.guardRestoreCount, 0, "the guard read the tables under the lock though every chain had been compared")
    }

    /// A jump the guard puts back leaves what was installed known: drift after it is still
    /// restored by the next round. (For a while in December 2026 a jump repair made the guard
    /// forget it, and nothing was compared or restored until the next change: on a Docker
    /// host, after every dockerd start or network create, which move the FORWARD jump.)
    func testTheGuardStillRestoresAfterItPutAJumpBack() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        try HostCommand.must(["/usr/sbin/iptables", "-w", "-D", "FORWARD", "-j", "\(prefix)-FORWARD"])
        let repairs = firewall.guardJumpRepairCount
        XCTAssertEqual(try firewall.guardRules(), 0, "a missing jump is no drift of our chains")
        XCTAssertEqual(HostCommand.run(["/usr/sbin/iptables", "-w", "-C", "FORWARD", "-j", "\(prefix)-FORWARD"]).status, 0, "the jump is not back")
        XCTAssertEqual(firewall.guardJumpRepairCount, repairs + 1, "counted, so that the server says it")
        let chains = try FirewallChains(prefix: prefix)
        try HostCommand.must(["/usr/sbin/iptables", "-w", "-t", "filter", "-F", chains.forward])
        XCTAssertGreaterThan(try firewall.guardRules(), 0, "the guard restored nothing after it put a jump back")
        XCTAssertEqual(try firewall.savedRules(family: .v4), try rendered(networks, bindings, .v4))
    }

    /// The host port of `state()`'s IPv6 binding, raised by each `overlappedRound`.
    final class HostPorts: Sendable {
        let next = Mutex(40100)
    }

    func withPort(_ bindings: [FirewallPortBinding], _ hostPort: Int) -> [FirewallPortBinding] {
        var edited = bindings
        edited[2].hostPort = hostPort
        return edited
    }

    /// One guard round in which, between each family's read and its comparison, a change on
    /// another thread moves `state()`'s IPv6 binding to the next host port (a patch of the
    /// IPv6 DNAT bucket alone); the changes' outcomes.
    func overlappedRound(_ networks: [FirewallNetwork], _ bindings: [FirewallPortBinding], _ ports: HostPorts) throws -> [String] {
        let outcomes = Mutex<[String]>([])
        try firewall.guardRules {
            let next = self.withPort(bindings, ports.next.withLock { value in value += 1; return value })
            let outcome = self.changeOnAnotherThread(networks, next)
            outcomes.withLock { $0.append(outcome) }
        }
        return outcomes.withLock { $0 }
    }

    /// Networks in branches, on the real tables: a branch's chains and their jumps come with
    /// its first network and go with its last, by patches that fit (none refused), and the
    /// tables hold exactly the rendering at every step. (The other tests' bridges are named
    /// otherwise, so their rules stay in the main chains.)
    func testBranchesComeAndGoByPatches() throws {
        let first = try XCTUnwrap(hex.first)
        let other = try XCTUnwrap(FirewallChains.branches.first { $0 != first })
        let a = FirewallNetwork(bridge: "swn-\(hex)a", subnets: [IPPrefix("10.250.1.0/24")!, IPPrefix("fd00:250:1::/64")!], sequence: 1)
        let b = FirewallNetwork(bridge: "swn-\(other)\(hex)", subnets: [IPPrefix("10.250.2.0/24")!], sequence: 2)
        let c = FirewallNetwork(bridge: "swn-\(hex)c", subnets: [IPPrefix("10.250.3.0/24")!], isInternal: true, sequence: 3)
        let port = FirewallPortBinding(bridge: b.bridge, proto: "tcp", hostPort: 40080, containerIP: IPAddress("10.250.2.2")!, containerPort: 80)
        let chains = try FirewallChains(prefix: prefix)
        func check(_ networks: [FirewallNetwork], _ bindings: [FirewallPortBinding], _ what: String) throws {
            try firewall.applyChange(networks: networks, bindings: bindings)
            for family in [IPFamily.v4, .v6] {
                XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, bindings, family), "\(what), \(family)")
            }
        }
        try firewall.apply(networks: [a], bindings: [])
        XCTAssertTrue(try firewall.savedRules(family: .v4).contains("-A \(chains.forward) -i swn-\(first)+ -j \(chains.forwardBranch(first))"))
        try check([a, b], [], "a second branch")
        try check([a, b, c], [port], "a second network in the first branch, a port published")
        XCTAssertTrue(try firewall.savedRules(family: .v4).contains(":\(chains.dnatedBranch(other)) - [0:0]"))
        try check([a, c], [], "the second branch gone")
        XCTAssertFalse(try firewall.savedRules(family: .v4).contains(chains.forwardBranch(other)))
        try check([c], [], "the branch's first network gone")
        try check([], [], "every network gone")
        XCTAssertEqual(refusedPatches.families.withLock { $0 }, [], "every patch fitted")
    }

    /// Changes applied as patches leave exactly the rendering installed, in its order: ports
    /// added at the start, middle and end of the chains, removed, a network added and gone.
    func testPatchedChangesLeaveExactlyTheRendering() throws {
        let (networks, bindings) = state()
        var current = bindings
        func check(_ networks: [FirewallNetwork], _ bindings: [FirewallPortBinding], _ what: String) throws {
            try firewall.applyChange(networks: networks, bindings: bindings)
            for family in [IPFamily.v4, .v6] {
                XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, bindings, family), "\(what), \(family)")
            }
        }
        try check(networks, current, "first")
        for (index, port) in [(0, 40001), (1, 40500), (3, 49999)] {
            current.insert(FirewallPortBinding(bridge: bridgeA, proto: "tcp", hostPort: port,
                                               containerIP: IPAddress("10.250.1.\(10 + index)")!, containerPort: 8000 + index), at: index)
            try check(networks, current, "added \(port)")
        }
        current.remove(at: 2)
        try check(networks, current, "removed one")
        let more = networks + [FirewallNetwork(bridge: "swt\(hex)c", subnets: [IPPrefix("10.250.3.0/24")!])]
        try check(more, current, "network added")
        try check(networks, [], "network gone, ports gone")
        // A rule someone deleted: the patch does not fit, the full path restores.
        try check(networks, bindings, "back")
        let dnat = try firewall.savedRules(family: .v4).split(separator: "\n").first { $0.hasPrefix("-A \(prefix)-DNAT ") }
        let rule = try XCTUnwrap(dnat).dropFirst(3).split(separator: " ").dropFirst().joined(separator: " ")
        try HostCommand.must(["/bin/sh", "-c", "/usr/sbin/iptables -t nat -D \(prefix)-DNAT \(rule)"])
        XCTAssertEqual(refusedPatches.families.withLock { $0 }, [], "every patch so far fitted")
        try check(networks, [], "after a rule was deleted by hand")
        XCTAssertEqual(refusedPatches.families.withLock { $0 }, [.v4], "the refused patch is reported, for the family whose chains were changed")
    }

    /// Changes handed over as the bindings that go and come leave exactly the rendering of
    /// all the bindings installed, also when the remembered state cannot be edited (nothing
    /// remembered yet, other networks, a binding to remove it does not hold, a refused
    /// change before) and is built from all of them instead.
    func testChangesHandedOverBindingByBindingLeaveExactlyTheRendering() throws {
        let (networks, bindings) = state()
        var current = bindings
        func change(_ networks: [FirewallNetwork], removing: [FirewallPortBinding], adding: [FirewallPortBinding],
                    _ what: String) throws {
            current.removeAll { removing.contains($0) }
            current += adding
            try firewall.applyChange(networks: networks, removing: removing, adding: adding) { current }
            for family in [IPFamily.v4, .v6] {
                XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, current, family), "\(what), \(family)")
            }
        }
        func port(_ n: Int) -> FirewallPortBinding {
            FirewallPortBinding(bridge: bridgeA, proto: "tcp", hostPort: 41_000 + n, containerIP: IPAddress("10.250.1.\(20 + n)")!,
                                containerPort: 80)
        }
        try change(networks, removing: [], adding: [], "nothing remembered")
        for n in 0..<5 { try change(networks, removing: [], adding: [port(n)], "added \(n)") }
        try change(networks, removing: [port(2)], adding: [], "removed one")
        var moved = port(3)
        moved.hostPort = 42_000
        try change(networks, removing: [port(3)], adding: [moved], "moved to another host port")
        try change(networks, removing: [bindings[2]], adding: [], "an IPv6 one removed")
        let more = networks + [FirewallNetwork(bridge: "swt\(hex)c", subnets: [IPPrefix("10.250.3.0/24")!])]
        let onC = FirewallPortBinding(bridge: "swt\(hex)c", proto: "tcp", hostPort: 43_000, containerIP: IPAddress("10.250.3.2")!,
                                      containerPort: 80)
        try change(more, removing: [], adding: [onC], "a network added")
        try change(more, removing: [port(9)], adding: [], "removing what is not there")
        var clash = port(0)
        clash.containerIP = IPAddress("10.250.1.99")!
        XCTAssertThrowsError(try firewall.applyChange(networks: more, removing: [], adding: [clash]) { current + [clash] })
        try change(more, removing: [port(0)], adding: [], "after a refused change")
        try change(networks, removing: [onC], adding: [], "the network gone with its port")
    }

    /// Start-up after an upgrade from the layout without buckets (published ports' rules in
    /// the DNAT, FORWARD and POSTROUTING chains themselves), with a bucket chain the state no
    /// longer renders left behind as well: `apply` (what reconciliation runs) leaves exactly
    /// the rendering, the stale chain deleted.
    /// Someone else's rule jumping to a bucket chain of ours (`iptables -A INPUT -j
    /// P-ACCEPT-NN`): its last port going used to empty and delete it in the transaction of
    /// the whole change, whose `-X` failed ("CHAIN_DEL failed (Device or resource busy)"), and
    /// with it that change, the whole restore after it and every later change. Now the
    /// change goes through, the chain stays empty (not taken for drift) until the foreign
    /// rule goes, and the next restore deletes it.
    func testAForeignJumpToABucketChainHoldsUpNoChange() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        let chains = try FirewallChains(prefix: prefix)
        let bucket = FirewallChains.bucket(of: bindings[0].containerIP)
        let chain = chains.acceptBucket(bucket)
        let foreign = ["-p", "tcp", "--dport", "7", "-j", chain]
        try HostCommand.must(["/usr/sbin/iptables", "-w", "-A", "INPUT"] + foreign)
        defer { _ = HostCommand.run(["/usr/sbin/iptables", "-w", "-D", "INPUT"] + foreign) }
        let remaining = bindings.filter { $0.containerIP.family == .v6 || FirewallChains.bucket(of: $0.containerIP) != bucket }
        XCTAssertGreaterThan(try firewall.applyChange(networks: networks, bindings: remaining), 0)
        XCTAssertTrue(firewall.knowsWhatItInstalled)
        XCTAssertEqual(try firewall.savedRules(family: .v4), try rendered(networks, remaining, .v4))
        XCTAssertEqual(HostCommand.run(["/usr/sbin/iptables", "-w", "-S", chain]).stdout, "-N \(chain)\n", "left, empty")
        XCTAssertEqual(try firewall.guardRules(), 0, "the empty chain is not drift")
        XCTAssertEqual(try firewall.drift(networks: networks, bindings: remaining).differences, [])
        // Later changes go through as well, the port coming back included.
        XCTAssertGreaterThan(try firewall.applyChange(networks: networks, bindings: bindings), 0)
        XCTAssertEqual(try firewall.savedRules(family: .v4), try rendered(networks, bindings, .v4))
        _ = HostCommand.run(["/usr/sbin/iptables", "-w", "-D", "INPUT"] + foreign)
        XCTAssertGreaterThan(try firewall.applyChange(networks: networks, bindings: remaining), 0)
        XCTAssertNotEqual(HostCommand.run(["/usr/sbin/iptables", "-w", "-S", chain]).status, 0, "deleted once nothing jumps to it")
    }

    /// A change that fails leaves what is installed unknown (the guard's caller then applies
    /// the records whole, see `SwiftnetDriver.guardFirewall`); the next apply knows again.
    func testAFailedChangeLeavesTheInstalledStateUnknownUntilTheNextApply() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        XCTAssertTrue(firewall.knowsWhatItInstalled)
        var invalid = bindings[0]
        invalid.hostPort = 0
        XCTAssertThrowsError(try firewall.applyChange(networks: networks, removing: [], adding: [invalid], all: { bindings + [invalid] }))
        XCTAssertFalse(firewall.knowsWhatItInstalled)
        try firewall.apply(networks: networks, bindings: bindings)
        XCTAssertTrue(firewall.knowsWhatItInstalled)
    }

    func testApplyCleansUpTheOldLayoutAndStaleBucketChains() throws {
        let (networks, bindings) = state()
        let chains = try FirewallChains(prefix: prefix)
        let used = Set(bindings.map { FirewallChains.bucket(of: $0.containerIP) })
        let stale = try XCTUnwrap((0..<FirewallChains.bucketCount).first { !used.contains($0) })
        let old = """
            *filter
            :\(prefix)-FORWARD - [0:0]
            :\(prefix)-ISOLATION - [0:0]
            -A \(prefix)-FORWARD -d 10.250.1.2/32 -o \(bridgeA) -p tcp -m tcp --dport 80 -j ACCEPT
            -A \(prefix)-FORWARD -o \(bridgeA) -j DROP
            COMMIT
            *nat
            :\(prefix)-DNAT - [0:0]
            :\(prefix)-POSTROUTING - [0:0]
            :\(chains.dnatBucket(stale)) - [0:0]
            -A \(prefix)-DNAT -p tcp -m tcp --dport 40080 -j DNAT --to-destination 10.250.1.2:80
            -A \(prefix)-DNAT -j \(chains.dnatBucket(stale))
            -A \(chains.dnatBucket(stale)) -p tcp -m tcp --dport 40999 -j DNAT --to-destination 10.250.1.99:80
            -A \(prefix)-POSTROUTING -s 10.250.1.2/32 -d 10.250.1.2/32 -p tcp -m tcp --dport 80 -j MASQUERADE
            COMMIT

            """
        try HostCommand.must(["/usr/sbin/iptables-restore", "--noflush", "-w"], input: old)
        XCTAssertGreaterThan(try firewall.apply(networks: networks, bindings: bindings), 0)
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(try firewall.savedRules(family: family), try rendered(networks, bindings, family), "\(family)")
        }
        XCTAssertFalse(HostCommand.run(["/usr/sbin/iptables-save", "-t", "nat"]).stdout.contains(chains.dnatBucket(stale)))
        XCTAssertEqual(try firewall.apply(networks: networks, bindings: bindings), 0, "converged")
    }

    /// A new state replaces the old one whole: nothing of the old rules survives.
    func testApplyReplacesThePreviousState() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        let smaller = [FirewallNetwork(bridge: bridgeB, subnets: [IPPrefix("10.250.2.0/24")!], interContainer: false, masquerade: false)]
        try firewall.apply(networks: smaller, bindings: [])
        for family in [IPFamily.v4, .v6] {
            let saved = try firewall.savedRules(family: family)
            XCTAssertEqual(saved, try rendered(smaller, [], family))
            XCTAssertFalse(saved.contains(bridgeA))
        }
    }

    /// The state after the last network is deleted: our chains exist and are empty.
    func testEmptyStateEmptiesOurChains() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        try firewall.apply(networks: [], bindings: [])
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(try firewall.savedRules(family: family), """
                *filter
                :\(prefix)-ACCEPT - [0:0]
                :\(prefix)-DNATED - [0:0]
                :\(prefix)-FORWARD - [0:0]
                :\(prefix)-INBOUND - [0:0]
                :\(prefix)-ISOLATION - [0:0]
                COMMIT
                *nat
                :\(prefix)-DNAT - [0:0]
                :\(prefix)-POSTROUTING - [0:0]
                COMMIT

                """ + (family == .v4 ? "*raw\n:\(prefix)-LOOPBACK - [0:0]\nCOMMIT\n" : ""))
            XCTAssertEqual(try firewall.missingJumps(family: family), [])
        }
    }

    /// Refused input changes nothing on the host.
    func testInvalidStateLeavesTheInstalledRules() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        var bad = bindings
        bad[0].proto = "tcp -j ACCEPT"
        XCTAssertThrowsError(try firewall.apply(networks: networks, bindings: bad)) {
            XCTAssertEqual($0 as? FirewallError, .invalidProtocol("tcp -j ACCEPT"))
        }
        XCTAssertEqual(try firewall.savedRules(family: .v4), try rendered(networks, bindings, .v4))
    }

    func testRemoveLeavesNothingAndCanRunTwice() throws {
        let (networks, bindings) = state()
        try firewall.apply(networks: networks, bindings: bindings)
        // A second copy of a jump (someone re-inserted it by hand) goes too.
        let jump = try FirewallRules.jumps(family: .v4, prefix: prefix)[0]
        try HostCommand.must(["/usr/sbin/iptables"] + jump.insertArguments)
        try firewall.remove()
        for family in [IPFamily.v4, .v6] {
            XCTAssertEqual(jumpLines(family), [])
            XCTAssertEqual(try firewall.savedRules(family: family), "*filter\nCOMMIT\n*nat\nCOMMIT\n" + (family == .v4 ? "*raw\nCOMMIT\n" : ""))
            XCTAssertEqual(try firewall.missingJumps(family: family).count, family == .v4 ? 5 : 4)
        }
        XCTAssertNoThrow(try firewall.remove())
    }

    /// What the design rests on, checked on this host's backend: under `--noflush`, declaring
    /// `:CHAIN - [0:0]` for an existing user chain empties it (and creates a missing one), and
    /// a section that fails on a later line changes nothing. Raw iptables-restore, no product code.
    func testNoflushDeclarationFlushesAUserChainOnThisBackend() throws {
        let version = try HostCommand.must(["/usr/sbin/iptables", "--version"])
        print("backend: \(version.trimmingCharacters(in: .whitespacesAndNewlines))")
        let chain = "\(prefix)-PROBE"
        defer {
            HostCommand.run(["/usr/sbin/iptables-restore", "--noflush", "-w"], input: "*filter\n:\(chain) - [0:0]\n-X \(chain)\nCOMMIT\n")
        }
        func restore(_ rules: [String]) -> HostCommand.Output {
            HostCommand.run(["/usr/sbin/iptables-restore", "--noflush", "-w"],
                            input: (["*filter", ":\(chain) - [0:0]"] + rules.map { "-A \(chain) \($0)" } + ["COMMIT"]).joined(separator: "\n") + "\n")
        }
        func installed() -> [String] {
            HostCommand.run(["/usr/sbin/iptables-save", "-t", "filter"]).stdout.split(separator: "\n").map(String.init)
                .filter { $0.hasPrefix("-A \(chain) ") }
        }
        XCTAssertEqual(restore(["-s 10.1.0.0/16 -j ACCEPT", "-s 10.2.0.0/16 -j ACCEPT"]).status, 0, "creates")
        XCTAssertEqual(installed(), ["-A \(chain) -s 10.1.0.0/16 -j ACCEPT", "-A \(chain) -s 10.2.0.0/16 -j ACCEPT"])
        XCTAssertEqual(restore(["-s 10.3.0.0/16 -j ACCEPT"]).status, 0)
        XCTAssertEqual(installed(), ["-A \(chain) -s 10.3.0.0/16 -j ACCEPT"], "the declaration flushed the old rules")
        let failed = restore(["-s 10.4.0.0/16 -j ACCEPT", "-s 10.5.0.0/99 -j ACCEPT"])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertEqual(installed(), ["-A \(chain) -s 10.3.0.0/16 -j ACCEPT"], "a failed section is not half applied")
        XCTAssertEqual(restore([]).status, 0)
        XCTAssertEqual(installed(), [], "a bare declaration empties the chain")
        // Built-in chains keep their rules: --noflush never touches what is not declared.
        XCTAssertTrue(HostCommand.run(["/usr/sbin/iptables-save"]).stdout.contains(":FORWARD"))
    }

    /// A failing tool's stderr reaches the error.
    func testCommandErrorsCarryStderr() throws {
        XCTAssertThrowsError(try CommandRunner.check("/usr/sbin/iptables-restore", ["--noflush", "-w"],
                                                     input: "*filter\n:\(prefix)-X - [0:0]\n-A \(prefix)-X -s 10.0.0.0/99 -j ACCEPT\nCOMMIT\n")) {
            guard case .commandFailed(let command, let status, let stderr)? = $0 as? FirewallError else { return XCTFail("\($0)") }
            XCTAssertEqual(command, "iptables-restore --noflush -w")
            XCTAssertNotEqual(status, 0)
            XCTAssertTrue(stderr.contains("99"), stderr)
            XCTAssertTrue("\($0)".contains("99"))
        }
        XCTAssertEqual(HostCommand.run(["/usr/sbin/iptables-save"]).stdout.contains("\(prefix)-X"), false)
        // A big input to a tool that stops reading early must not kill us with SIGPIPE.
        let junk = "*filter\nbogus line\n" + String(repeating: "# padding padding padding padding\n", count: 20_000)
        XCTAssertThrowsError(try CommandRunner.check("/usr/sbin/iptables-restore", ["--noflush", "-w"], input: junk))
    }

    /// Not a benchmark, a figure for the report: one apply with two networks and three bindings.
    func testApplyDuration() throws {
        let (networks, bindings) = state()
        let first = ContinuousClock.now
        try firewall.apply(networks: networks, bindings: bindings)
        print("apply, first (chains created, 8 jumps inserted): \(ContinuousClock.now - first)")
        var times: [Double] = []
        for _ in 0..<10 {
            let start = ContinuousClock.now
            try firewall.apply(networks: networks, bindings: bindings)
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        times.sort()
        print(String(format: "apply, state unchanged: median %.1f ms, min %.1f ms, max %.1f ms (10 runs)", times[5], times[0], times[9]))
        times = []
        for round in 0..<10 {
            var changed = bindings
            changed[0].hostPort = 41000 + round
            let start = ContinuousClock.now
            try firewall.apply(networks: networks, bindings: changed)
            let elapsed = ContinuousClock.now - start
            times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        times.sort()
        print(String(format: "apply, one binding changed: median %.1f ms, min %.1f ms, max %.1f ms (10 runs)", times[5], times[0], times[9]))
    }
}

final class RefusedPatches: Sendable {
    let families = Mutex<[IPFamily]>([])
}
