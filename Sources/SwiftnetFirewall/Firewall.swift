import Foundation
import SwiftnetAddress
import Synchronization

/// Puts the rendered rules into the host's tables. swiftnet owns eight chains and the bucket
/// chains of published ports (see `FirewallRules`, `FirewallChains`) and five jumps into them
/// (four for IPv6), and touches nothing else: Docker's chains and rules are never edited,
/// built-in chains are never flushed.
///
/// `apply` is idempotent: it reads the tables and replaces our chains whole (start-up, `doctor
/// --fix`). After a change of the records the server calls `applyChange`, which patches only
/// the rules that differ from what this process installed.
package final class Firewall: Sendable {
    package let chains: FirewallChains
    /// apply and remove each run several commands; two at once could interleave a stale
    /// state's restore after a newer one. One at a time per process. Holds, per family, the
    /// rendering this process last installed and has not seen disturbed since (see
    /// `applyChange`), and the rendered rules of the published ports' buckets.
    private let serial = Mutex<Memory>(Memory())

    private struct Memory {
        var installed: [IPFamily: [FirewallPatch.Section]] = [:]
        var cache = FirewallRenderCache()
        /// The state `apply` or `applyChange` last installed, which the next change of a few
        /// bindings edits instead of checking every binding on the host again; nil when
        /// unknown (nothing installed yet, or the last attempt failed).
        var state: FirewallState?
        /// Counts the runs of this process's commands that may change our chains (a patch, a
        /// whole restore with its jump repair, a removal): the guard reads the tables without
        /// holding the lock, and compares with `installed` only the chains that no command
        /// changed in between (`changedAt`, `wholeAt`).
        var generation = 0  // an Int: 2^63 commands before the comparisons below could wrap
        /// Per family and chain, the `generation` of the last patch that changed the chain.
        var changedAt: [IPFamily: [String: Int]] = [:]
        /// Per family, the `generation` of the last command that changed every chain (a whole
        /// restore, a removal).
        var wholeAt: [IPFamily: Int] = [:]
        /// Per family, the guard's rounds in a row that left a chain uncompared because a
        /// patch changed it during the read (see `guardRules`).
        var roundsSkipping: [IPFamily: Int] = [:]
        /// See `guardRestoreCount`.
        var guardRestores = 0
        /// See `guardJumpRepairCount`.
        var guardJumpRepairs = 0
        /// Per family, Docker's bridges named otherwise than `docker0` and `br-…` as the last
        /// read of that family's tables showed them (`SavedTables.dockerBridges`).
        var dockerBridgesSeen: [IPFamily: [String]] = [:]
        /// Per family, the names its installed rendering drops traffic to and from.
        var dockerBridgesRendered: [IPFamily: [String]] = [:]

        /// The names both families are rendered with: those either family's rules show. A
        /// dockerd without ip6tables (20.10's default) names its bridges in IPv4 only, and
        /// its IPv6 networks must be kept apart all the same.
        func dockerBridges(seeing fresh: [String]? = nil, in family: IPFamily? = nil) -> [String] {
            var seen = dockerBridgesSeen
            if let fresh, let family { seen[family] = fresh }
            return Array(Set(seen.values.joined())).sorted()
        }
    }

    /// Renders a family's sections, given Docker's bridges named otherwise.
    private typealias Render = (_ memory: inout Memory, _ dockerBridges: [String]) -> [FirewallPatch.Section]

    /// Guard rounds in a row that may each leave some chain uncompared before the guard reads
    /// and compares every chain under the lock: about a minute at the server's 5 s, so that a
    /// chain patched without pause is still compared.
    package static let roundsSkippingLimit = 12

    /// Told when a patch was refused and the chains are read and restored whole instead: most
    /// often something else changed them (a rule the patch deletes is gone), which the server
    /// logs so that an operator learns of it; any other failure of the restore lands here too.
    private let patchRefused: (@Sendable (IPFamily, FirewallError) -> Void)?

    /// `prefix` names our chains (`SWIFTNET-FORWARD`…); tests use a unique one. It is code,
    /// not request data: an invalid prefix is a programming error and stops the process.
    package init(prefix: String = "SWIFTNET", patchRefused: (@Sendable (IPFamily, FirewallError) -> Void)? = nil) {
        self.patchRefused = patchRefused
        do {
            chains = try FirewallChains(prefix: prefix)
        } catch {
            preconditionFailure(error.description)
        }
    }

    package var prefix: String { chains.prefix }

    /// Renders both families (so invalid input throws before anything runs), then per family:
    /// reads the tables with one `iptables-save`; if our chains differ from the rendering,
    /// one `iptables-restore --noflush -w` fed on stdin creates or empties them and refills
    /// them in one transaction per table (and deletes bucket and branch chains of ours the
    /// rendering no longer has); then each jump the save did not show is checked with `-C` and inserted at
    /// the top only if really missing.
    ///
    /// The restore goes before the jumps because a jump to a chain that does not exist yet
    /// cannot be checked or inserted; until the jumps exist the new chains are simply not
    /// consulted. Skipping an identical restore is what makes a re-apply cheap: replacing
    /// rules costs the kernel an RCU grace period (about 50 ms here), reading them 2 ms.
    ///
    /// Returns how many rules and jumps differed from the rendering (0: nothing was changed).
    @discardableResult
    package func apply(networks: [FirewallNetwork], bindings: [FirewallPortBinding]) throws(FirewallError) -> Int {
        let state = try FirewallState(networks: networks, bindings: bindings)
        return try serial.withLock { memory throws(FirewallError) -> Int in
            memory.state = nil
            var changed = 0
            for family in [IPFamily.v4, .v6] {
                changed += try applyChecked(family: family, memory: &memory, render: render(state, family))
            }
            memory.state = state
            return changed
        }
    }

    /// `apply` for a change the server just made to its records, trusting what this process
    /// installed last instead of reading the tables: a family whose rendering is unchanged is
    /// left alone, and one whose rendering changed gets only the rules that differ
    /// (`FirewallPatch`), which for a container start or stop are the rules of its port
    /// buckets. Reading costs an `iptables-save` of every rule of the host per family, and a
    /// whole restore rewrites every published port: the costs that grow with the other
    /// endpoints. A patch that does not fit the installed chains (someone removed a rule it
    /// deletes) fails whole and is followed by `apply`'s full path. Other changes made
    /// meanwhile are still found: `guardRules` (every few seconds) reads the tables and
    /// restores a family whose chains differ from what was installed; `apply` itself
    /// (start-up, `doctor --fix`) and `drift` (the doctor) always read.
    @discardableResult
    package func applyChange(networks: [FirewallNetwork], bindings: [FirewallPortBinding]) throws(FirewallError) -> Int {
        let state = try FirewallState(networks: networks, bindings: bindings)
        return try serial.withLock { memory throws(FirewallError) -> Int in
            try install(state, memory: &memory)
        }
    }

    /// `applyChange` for a change of a few bindings (a container's ports published or
    /// revoked): `removing` are the bindings that go, `adding` those that come, relative to
    /// the state last given to `apply` or `applyChange`. The state remembered from it is edited
    /// instead of built from every binding on the host; `all` (the bindings after the change,
    /// every one) builds it anew when nothing is remembered, the networks differ from the
    /// remembered ones, or a binding to remove is not there. Invalid bindings throw as in
    /// `applyChange`, leaving nothing remembered.
    @discardableResult
    package func applyChange(networks: [FirewallNetwork], removing: [FirewallPortBinding], adding: [FirewallPortBinding],
                             all: () -> [FirewallPortBinding]) throws(FirewallError) -> Int {
        try serial.withLock { memory throws(FirewallError) -> Int in
            // Moved out, so that editing it does not copy it; `install` remembers the result.
            var state: FirewallState
            if var last = memory.state.take(), last.hasNetworks(networks), last.remove(removing) {
                for binding in adding { try last.insert(binding) }
                state = last
            } else {
                state = try FirewallState(networks: networks, bindings: all())
            }
            return try install(state, memory: &memory)
        }
    }

    /// The rendering of `state` installed family by family, patching what this process
    /// installed last (see `applyChange`); remembers `state` once every family is in.
    private func install(_ state: FirewallState, memory: inout Memory) throws(FirewallError) -> Int {
        memory.state = nil
        var changed = 0
        for family in [IPFamily.v4, .v6] {
            let sections = FirewallRules.sections(state, family: family, chains: chains, cache: &memory.cache,
                                                  dockerBridges: memory.dockerBridges())
            guard let last = memory.installed[family] else {
                changed += try applyChecked(family: family, memory: &memory, render: render(state, family))
                continue
            }
            if last == sections { continue }
            memory.installed[family] = nil  // unknown until the restore succeeds
            if let patch = FirewallPatch.between(installed: last, wanted: sections) {
                memory.generation &+= 1
                for chain in FirewallPatch.differing(last, sections) ?? [] { memory.changedAt[family, default: [:]][chain] = memory.generation }
                do throws(FirewallError) {
                    try CommandRunner.check(try Firewall.tool("restore", family), ["--noflush", "-w"], input: patch)
                    memory.installed[family] = sections
                    changed += 1
                    deleteEmptied(FirewallPatch.gone(installed: last, wanted: sections), family: family)
                    continue
                } catch {
                    // Whatever held it up would hold up the whole restore as well.
                    if case .timedOut = error { throw error }
                    // Our chains are not what this process installed (a -D found no rule), or
                    // the restore failed otherwise: read them and restore whole.
                    patchRefused?(family, error)
                }
            }
            changed += try applyChecked(family: family, memory: &memory, render: render(state, family))
        }
        memory.state = state
        return changed
    }

    private func render(_ state: FirewallState, _ family: IPFamily) -> Render {
        { [chains] memory, docker in
            FirewallRules.sections(state, family: family, chains: chains, cache: &memory.cache, dockerBridges: docker)
        }
    }

    /// One family of `apply`: reads the tables, renders (with Docker's bridges the read shows),
    /// restores our chains if they differ, repairs the jumps; remembers the rendering as
    /// installed once all of that succeeded.
    private func applyChecked(family: IPFamily, memory: inout Memory, render: Render) throws(FirewallError) -> Int {
        memory.installed[family] = nil
        memory.generation &+= 1
        memory.wholeAt[family] = memory.generation
        memory.roundsSkipping[family] = 0
        var changed = 0
        let saved = try saved(family)
        memory.dockerBridgesSeen[family] = saved.dockerBridges
        let docker = memory.dockerBridges()
        memory.dockerBridgesRendered[family] = docker
        let sections = render(&memory, docker)
        let text = sections.map(\.text).joined()
        if saved.ours != text {
            changed += max(1, FirewallDifference.compare(expected: text, installed: saved.ours, family: family).count)
            let (input, stale) = Firewall.restoreInput(sections, removing: saved.chains)
            try CommandRunner.check(try Firewall.tool("restore", family), ["--noflush", "-w"], input: input)
            deleteEmptied(stale, family: family)
        }
        changed += try ensureJumps(family: family, saved: saved)
        memory.installed[family] = sections
        return changed
    }

    /// The rendering as restore input, plus the emptying of every chain of ours that `existing`
    /// (per table) holds and the rendering does not declare: bucket and branch chains emptied
    /// while this process did not watch (only names `FirewallChains` knows are seen), returned
    /// to be deleted after the restore (`deleteEmptied`). Declaring empties it, so its rules go
    /// with it; the jumps to it are in chains the rendering refills.
    static func restoreInput(_ sections: [FirewallPatch.Section], removing existing: [String: [String]])
        -> (input: String, stale: [(table: String, chain: String)]) {
        var stale: [(table: String, chain: String)] = []
        let input = sections.map { section in
            let declared = Set(section.chains)
            let gone = (existing[section.table] ?? []).filter { !declared.contains($0) }
            guard !gone.isEmpty else { return section.text }
            stale += gone.map { (table: section.table, chain: $0) }
            let text = section.text
            return String(text.dropLast("COMMIT\n".count)) + gone.map { ":\($0) - [0:0]\n" }.joined() + "COMMIT\n"
        }.joined()
        return (input, stale)
    }

    /// Deletes chains of ours that a restore just emptied, apart from it: a rule of someone
    /// else's still jumping to one (`iptables -A INPUT -j P-ACCEPT-06`) makes its `-X` fail, and
    /// in the restore it would fail every change after it. One that cannot be deleted stays
    /// empty, which decides nothing (a jump to it returns), and is not compared (see
    /// `SavedTables.ours`); a later restore tries again.
    private func deleteEmptied(_ chains: [(table: String, chain: String)], family: IPFamily) {
        guard !chains.isEmpty, let restore = try? Firewall.tool("restore", family) else { return }
        func delete(_ chains: [(table: String, chain: String)]) -> Bool {
            let input = Dictionary(grouping: chains, by: \.table).sorted { $0.key < $1.key }
                .map { "*\($0.key)\n" + $0.value.map { "-X \($0.chain)\n" }.joined() + "COMMIT\n" }.joined()
            return (try? CommandRunner.check(restore, ["--noflush", "-w"], input: input)) != nil
        }
        if delete(chains) || chains.count == 1 { return }
        for chain in chains { _ = delete([chain]) }
    }

    /// The server's guard, every few seconds: puts our chains back where someone else changed
    /// them, puts back missing jumps, and moves the FORWARD jump back to its place (right
    /// after the jump to DOCKER-USER, else first) where someone inserted rules above it:
    /// dockerd does on every start and network create, and its "way out" ACCEPT for its own
    /// bridges would then let their traffic into ours before our isolation drops see it.
    ///
    /// Chains someone else changed (flushed, a rule deleted or added: `iptables -F`, a
    /// firewall manager's reload, another tool) are restored whole at once, as `apply`
    /// does, rather than at the next change of ours, which may be hours away: until then a
    /// missing loopback or isolation drop would let containers where they must not go.
    ///
    /// The tables are read without holding the lock that every change takes: with 1,000
    /// networks the two reads take about 0.35 s, which a container start or a CreateNetwork
    /// arriving meanwhile would otherwise wait for; only a restore, when something differs,
    /// reads them again under the lock. `afterReading` runs between a family's read and its
    /// check (tests make a change there).
    ///
    /// Returns how many rules and jumps differed in the families it restored (0: nothing was
    /// restored; jumps it only put back or moved, the chains being intact, are not counted).
    @discardableResult
    package func guardRules(afterReading: (() -> Void)? = nil) throws(FirewallError) -> Int {
        var restored = 0
        for family in [IPFamily.v4, .v6] {
            let generation = serial.withLock { $0.generation }
            let saved = try saved(family)
            let found = FirewallPatch.Section.parse(saved.ours)
            let seen = saved.dockerBridges
            afterReading?()
            restored += try serial.withLock { memory throws(FirewallError) -> Int in
                let wanted: Render?
                let docker = memory.dockerBridges(seeing: seen, in: family)
                let renderedWith = memory.dockerBridgesRendered[family] ?? []
                if memory.installed[family] == nil {
                    // Unknown after a restore of the guard's own failed: tried again from the
                    // state last installed (nil after a failed change, which the next change
                    // tries again).
                    wanted = memory.state.map { render($0, family) }
                } else if docker != renderedWith, let state = memory.state {
                    // Docker made or removed a bridge named otherwise than docker0 and br-…
                    // (or dockerd started after this server): rendered again with its names.
                    wanted = render(state, family)
                } else if let installed = Firewall.compare(family, found: found, readAfter: generation, memory: &memory) {
                    let again = memory.state.map { render($0, family) }
                    wanted = { memory, docker in
                        guard docker != renderedWith, let again else { return installed }
                        return again(&memory, docker)
                    }
                } else {
                    wanted = nil
                }
                if let wanted {
                    memory.guardRestores += 1
                    // Reads the tables again, under the lock: what the first read saw may be stale.
                    return try applyChecked(family: family, memory: &memory, render: wanted)
                }
                // A jump the read shows missing is looked for again (`-C`) before it is added,
                // and one out of place is moved in one transaction, so a read that missed a
                // repair of ours cannot make a second copy. Docker edits FORWARD without our
                // lock anyway. Our chains were compared above: what was installed stays known.
                memory.guardJumpRepairs += try ensureJumps(family: family, saved: saved)
                return 0
            }
        }
        return restored
    }

    /// The guard's comparison of `found` (the tables read since `generation`) with what was
    /// installed; returns what was installed when the guard must restore it (which reads the
    /// tables again under the lock and rewrites only if they differ). A patch of ours that ran
    /// during the read may or may not show in it, so the chains it changed are left out, and a
    /// whole restore during the read compared every chain itself. A difference in the rest
    /// means someone else changed our chains (or flushed everything). A chain left out
    /// `roundsSkippingLimit` rounds in a row is compared that way too, so that drift in a
    /// chain we patch without pause (a rule added beside the ones we patch) is still found.
    private static func compare(_ family: IPFamily, found: [FirewallPatch.Section]?, readAfter generation: Int,
                                memory: inout Memory) -> [FirewallPatch.Section]? {
        // A whole restore (`applyChecked`) starts the count again itself.
        guard let installed = memory.installed[family], memory.wholeAt[family, default: 0] <= generation else { return nil }
        let changed = Set(memory.changedAt[family, default: [:]].filter { $0.value > generation }.keys)
        memory.roundsSkipping[family] = changed.isEmpty ? 0 : memory.roundsSkipping[family, default: 0] + 1
        if !FirewallPatch.same(installed, found, skipping: changed) || memory.roundsSkipping[family, default: 0] >= roundsSkippingLimit {
            return installed
        }
        return nil
    }

    /// How many jumps into our chains the guard put back or moved (our chains themselves
    /// intact): dockerd moves the FORWARD jump on every start and network create; anything
    /// else that deletes one leaves containers unisolated until it is back.
    package var guardJumpRepairCount: Int { serial.withLock { $0.guardJumpRepairs } }

    /// Whether this process knows the state it installed last: not after a change that failed
    /// (`memory.state` is then nil, and a family may be unknown too), so the guard has nothing to
    /// compare the tables with and its caller must `apply` the state anew.
    package var knowsWhatItInstalled: Bool { serial.withLock { $0.state != nil } }

    /// How many times the guard set out to read the tables under the lock and restore what
    /// differed (drift seen, a chain left out `roundsSkippingLimit` rounds in a row, or its own
    /// failed restore to try again), whether or not anything differed then or the restore
    /// succeeded: for tests.
    package var guardRestoreCount: Int { serial.withLock { $0.guardRestores } }

    /// Returns how many jumps it put back or moved.
    @discardableResult
    private func ensureJumps(family: IPFamily, saved: SavedTables) throws(FirewallError) -> Int {
        var changed = 0
        for jump in try FirewallRules.jumps(family: family, prefix: prefix) {
            switch try place(of: jump, family: family, saved: saved) {
            case .fine:
                continue
            case .missing:
                try CommandRunner.check(try Firewall.tool("", family), jump.insertArguments(at: saved.wantedPosition(of: jump)))
            case .notFirst:
                // Delete and re-insert in one restore: one transaction, no moment without it.
                let move = "*\(jump.table)\n-D \(jump.chain) \(jump.rule.joined(separator: " "))\n"
                    + "-I \(jump.chain) \(saved.wantedPosition(of: jump)) \(jump.rule.joined(separator: " "))\nCOMMIT\n"
                try CommandRunner.check(try Firewall.tool("restore", family), ["--noflush", "-w"], input: move)
            }
            changed += 1
        }
        return changed
    }

    private enum JumpPlace { case fine, missing, notFirst }

    /// Where a jump stands: the one decision behind both `ensureJumps` (which repairs it) and
    /// `drift` (which reports it). The FORWARD jump must also be in its place: right after
    /// the jump to DOCKER-USER, or first (see `SavedTables.dockerUserJump`).
    private func place(of jump: FirewallJump, family: IPFamily, saved: SavedTables) throws(FirewallError) -> JumpPlace {
        if !saved.contains(jump) {
            return try isInstalled(jump, family: family) ? .fine : .missing
        }
        return saved.isInPlace(jump) ? .fine : .notFirst
    }

    /// Deletes our jumps (every copy) and our chains, for both families (uninstall, tests).
    /// Carries on after a failure so that as much as possible is gone, then throws the first
    /// error. Nothing is left behind when it returns.
    package func remove() throws(FirewallError) {
        try serial.withLock { memory throws(FirewallError) in
            memory.installed = [:]
            memory.state = nil
            memory.generation &+= 1
            memory.wholeAt = [.v4: memory.generation, .v6: memory.generation]
            var firstError: FirewallError?
            func attempt(_ step: () throws(FirewallError) -> Void) {
                do throws(FirewallError) { try step() } catch { if firstError == nil { firstError = error } }
            }
            for family in [IPFamily.v4, .v6] {
                attempt { () throws(FirewallError) in
                    let iptables = try Firewall.tool("", family)
                    for jump in try FirewallRules.jumps(family: family, prefix: prefix) {
                        attempt { () throws(FirewallError) in
                            // Every copy; bounded, so a -D that succeeds without removing
                            // anything cannot loop for ever.
                            var rounds = 0
                            while try isInstalled(jump, family: family), rounds < 64 {
                                try CommandRunner.check(iptables, jump.deleteArguments)
                                rounds += 1
                            }
                        }
                    }
                }
                // Tried even if a jump could not be deleted: it then fails whole, changing nothing.
                attempt { () throws(FirewallError) in
                    try CommandRunner.check(try Firewall.tool("restore", family), ["--noflush", "-w"],
                                            input: FirewallRules.teardown(chains: chains, family: family))
                }
            }
            if let firstError { throw firstError }
        }
    }

    /// Our chains and their rules as `iptables-save` prints them, in the same layout as
    /// `FirewallRules.render` (sections filter and nat, declarations, rules, COMMIT), so a
    /// doctor can compare the two texts directly. A chain that does not exist is missing from
    /// its section; counters are zeroed. Jumps are not included: see `missingJumps`.
    package func savedRules(family: IPFamily) throws(FirewallError) -> String {
        try saved(family).ours
    }

    /// The jumps of `family` that are not in their built-in chain (for a doctor; `apply`
    /// puts them back).
    package func missingJumps(family: IPFamily) throws(FirewallError) -> [FirewallJump] {
        var missing: [FirewallJump] = []
        for jump in try FirewallRules.jumps(family: family, prefix: prefix) where try !isInstalled(jump, family: family) {
            missing.append(jump)
        }
        return missing
    }

    /// How the installed chains and jumps differ from what the state renders to, for both
    /// families, and how many rules the rendering has (for `swiftnet doctor`).
    package func drift(networks: [FirewallNetwork], bindings: [FirewallPortBinding]) throws(FirewallError)
        -> (differences: [FirewallDifference], rules: Int) {
        var differences: [FirewallDifference] = []
        var rules = 0
        let saved = [IPFamily.v4: try saved(.v4), .v6: try saved(.v6)]
        let docker = Array(Set(saved.values.flatMap(\.dockerBridges))).sorted()
        for family in [IPFamily.v4, .v6] {
            let saved = saved[family]!
            let expected = try FirewallRules.render(networks: networks, bindings: bindings, family: family, prefix: prefix,
                                                    dockerBridges: docker)
            rules += FirewallDifference.ruleCount(expected)
            let found = FirewallDifference.compare(expected: expected, installed: saved.ours, family: family)
            // Without networks the server installs nothing (empty chains need not exist), but a
            // rule left in a chain of ours is still drift.
            guard !networks.isEmpty else {
                differences += found.filter { $0.kind == .unexpected }
                continue
            }
            differences += found
            for jump in try FirewallRules.jumps(family: family, prefix: prefix) {
                let kind: FirewallDifference.Kind
                switch try place(of: jump, family: family, saved: saved) {
                case .fine: continue
                case .missing: kind = .missingJump
                case .notFirst: kind = .jumpNotFirst
                }
                differences.append(FirewallDifference(kind: kind, family: family, table: jump.table,
                                                      rule: "\(jump.chain) \(jump.rule.joined(separator: " "))"))
            }
        }
        return (differences, rules)
    }

    private func saved(_ family: IPFamily) throws(FirewallError) -> SavedTables {
        SavedTables(try CommandRunner.check(try Firewall.tool("save", family), []).stdout, chains: chains, family: family)
    }

    /// `-C` exits 0 when the rule is there, 1 when it is not, and 2 when the target chain
    /// does not exist (then the jump cannot exist either). Anything else is a real failure.
    private func isInstalled(_ jump: FirewallJump, family: IPFamily) throws(FirewallError) -> Bool {
        let iptables = try Firewall.tool("", family)
        let output = try CommandRunner.run(iptables, jump.checkArguments)
        switch output.status {
        case 0: return true
        case 1: return false
        case 2 where output.stderr.contains("does not exist") || output.stderr.contains("Couldn't load target"): return false
        default:
            throw .commandFailed(command: CommandRunner.describe(iptables, jump.checkArguments),
                                 status: output.status, stderr: output.stderr)
        }
    }

    /// Sets the FORWARD policy of `family` to DROP: what dockerd does when it turns forwarding
    /// on itself, so that the host does not start routing between its other interfaces.
    /// swiftnet's chains, jumped to first, accept its own traffic.
    package static func dropForwardedByDefault(family: IPFamily) throws(FirewallError) {
        try CommandRunner.check(try tool("", family), ["-w", "-P", "FORWARD", "DROP"])
    }

    /// `iptables`, `iptables-restore`, `iptables-save` or their `ip6tables` twins.
    private static func tool(_ suffix: String, _ family: IPFamily) throws(FirewallError) -> String {
        try CommandRunner.tool((family == .v4 ? "iptables" : "ip6tables") + (suffix.isEmpty ? "" : "-" + suffix))
    }
}
