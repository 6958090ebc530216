/// The `iptables-restore --noflush` input that turns our chains as this process installed
/// them (`installed`, a rendering) into `wanted`, rule by rule: a container start adds one
/// DNAT and one ACCEPT to chains that hold one per published port, and restoring those chains
/// whole makes every start cost as much as all the ports on the host.
///
/// Per chain, a chain that only gains rules gets them inserted where they go (`-I CHAIN N`), or
/// appended (`-A`) after its last rule. Otherwise the rules both texts share at the start and
/// at the end stay; those between are deleted by their text (`-D`: rules are unique within a
/// chain, see `RuleTable`) and the new ones inserted at their positions (appended when
/// nothing follows them), so the chain ends up in the rendered order. A chain where more than
/// that changed is declared (which empties it) and refilled. One transaction per table, as
/// with a whole restore; a `-D` of a rule someone removed fails it and the caller restores
/// whole instead.
enum FirewallPatch {
    /// nil when the texts do not have the same tables and chains (restore `wanted` whole).
    static func between(installed: String, wanted: String) -> String? {
        guard let old = Section.parse(installed), let new = Section.parse(wanted) else { return nil }
        return between(installed: old, wanted: new)
    }

    /// The same on parsed renderings (the installed one is kept parsed, see `Firewall`).
    /// Chains only one of the two declares are bucket chains of published ports or branch
    /// chains of networks: a new one is declared (created) before any rule can jump to it, and
    /// one that is gone is emptied after the jumps to it are. It is deleted apart (`gone`,
    /// `Firewall.deleteEmptied`): a rule of someone else's still jumping to it would fail this
    /// whole transaction, and with it every later change.
    static func between(installed old: [Section], wanted new: [Section]) -> String? {
        guard old.map(\.table) == new.map(\.table) else { return nil }
        var patch = ""
        for (before, after) in zip(old, new) {
            if before == after { continue }
            let kept = Set(before.chains), wanted = Set(after.chains)
            let gone = before.chains.filter { !wanted.contains($0) }
            var lines: [String] = after.chains.filter { !kept.contains($0) }.map { ":\($0) - [0:0]" }
            for chain in after.chains {
                let was = before.rules[chain] ?? [], now = after.rules[chain] ?? []
                if was == now { continue }
                var head = 0
                while head < was.count, head < now.count, was[head] == now[head] { head += 1 }
                var tail = 0
                while tail < was.count - head, tail < now.count - head, was[was.count - 1 - tail] == now[now.count - 1 - tail] {
                    tail += 1
                }
                let removed = was[head..<(was.count - tail)], added = now[head..<(now.count - tail)]
                if !kept.contains(chain) {
                    lines += now.map { "-A \(chain) \($0)" }
                } else if let gained = insertions(chain, was: was, now: now),
                          gained.count(where: { $0.hasPrefix("-I ") }) <= max(16, now.count / 2) {
                    lines += gained
                } else if removed.count + added.count > max(16, now.count / 2) {
                    lines.append(":\(chain) - [0:0]")
                    lines += now.map { "-A \(chain) \($0)" }
                } else {
                    lines += removed.map { "-D \(chain) \($0)" }
                    lines += added.enumerated().map { tail == 0 ? "-A \(chain) \($0.element)" : "-I \(chain) \(head + $0.offset + 1) \($0.element)" }
                }
            }
            for chain in gone { lines.append(":\(chain) - [0:0]") }
            if !lines.isEmpty { patch += "*\(after.table)\n" + lines.joined(separator: "\n") + "\nCOMMIT\n" }
        }
        return patch
    }

    /// The chains `installed` declares and `wanted` does not, per table: emptied by the patch
    /// between them, to be deleted after it.
    static func gone(installed old: [Section], wanted new: [Section]) -> [(table: String, chain: String)] {
        zip(old, new).flatMap { before, after in
            let wanted = Set(after.chains)
            return before.chains.filter { !wanted.contains($0) }.map { (table: before.table, chain: $0) }
        }
    }

    /// The rules `now` adds to `was`, in place, or nil when `was` is not a subsequence of `now`
    /// (some rule goes or moves): those after the last rule of `was` appended (`-A`), the others
    /// inserted at their final positions in ascending order, so each position counts the rules
    /// before it as they will stand. A new network adds its rules at the ends of our chains
    /// (`FirewallRules.sections`): `iptables-restore` appends without reading a chain's rules,
    /// where inserting at a position, or deleting, reads all of them.
    static func insertions(_ chain: String, was: [String], now: [String]) -> [String]? {
        var lines: [String] = []
        var next = 0
        for (position, rule) in now.enumerated() {
            if next < was.count && rule == was[next] {
                next += 1
            } else if next == was.count {
                lines.append("-A \(chain) \(rule)")
            } else {
                lines.append("-I \(chain) \(position + 1) \(rule)")
            }
        }
        return next == was.count ? lines : nil
    }

    /// The chains `a` and `b` hold differently, table by table: declared on one side only, or
    /// with other rules or another order of rules. These are the chains `between(a, b)` writes
    /// lines for (a patch's chains, for the guard to leave out while it may not show yet) and
    /// what the guard compares. nil when they are not the same tables (or `b` could not be
    /// parsed): everything differs.
    static func differing(_ a: [Section], _ b: [Section]?) -> Set<String>? {
        guard let b, b.map(\.table) == a.map(\.table) else { return nil }
        var differing: Set<String> = []
        for (mine, theirs) in zip(a, b) where mine != theirs {
            for chain in Set(mine.chains).union(theirs.chains)
            where mine.chains.contains(chain) != theirs.chains.contains(chain) || (mine.rules[chain] ?? []) != (theirs.rules[chain] ?? []) {
                differing.insert(chain)
            }
        }
        return differing
    }

    /// Whether `found` (our chains as `iptables-save` printed them, parsed) holds what
    /// `installed` does, leaving out the chains in `skipping`.
    static func same(_ installed: [Section], _ found: [Section]?, skipping: Set<String>) -> Bool {
        differing(installed, found)?.isSubset(of: skipping) ?? false
    }

    /// One table of a rendering: its declared chains in order and each chain's rules.
    struct Section: Equatable {
        var table: String
        var chains: [String] = []
        var rules: [String: [String]] = [:]

        /// `iptables-restore` input declaring the chains (which empties them) and refilling them.
        var text: String {
            var text = "*\(table)\n"
            for chain in chains { text += ":\(chain) - [0:0]\n" }
            for chain in chains {
                for rule in rules[chain] ?? [] { text += "-A \(chain) \(rule)\n" }
            }
            return text + "COMMIT\n"
        }

        /// nil for text that is not in `Section.text`'s layout. Reads bytes, not
        /// characters: the text is ASCII (`FirewallState` checks every name), and splitting
        /// thousands of lines by grapheme cost more than the restore it saves.
        static func parse(_ text: String) -> [Section]? {
            var sections: [Section] = []
            var current: Section?
            for raw in text.utf8.split(separator: UInt8(ascii: "\n")) {
                switch raw.first {
                case UInt8(ascii: "*"):
                    guard current == nil else { return nil }
                    current = Section(table: String(Substring(raw.dropFirst())))
                case UInt8(ascii: ":"):
                    guard current != nil, let space = raw.firstIndex(of: UInt8(ascii: " ")) else { return nil }
                    current?.chains.append(String(Substring(raw[raw.index(after: raw.startIndex)..<space])))
                case UInt8(ascii: "-"):
                    // "-A CHAIN rule"
                    let rest = raw.dropFirst(3)
                    guard current != nil, raw.starts(with: "-A ".utf8), let space = rest.firstIndex(of: UInt8(ascii: " ")) else { return nil }
                    current?.rules[String(Substring(rest[..<space])), default: []].append(String(Substring(rest[rest.index(after: space)...])))
                default:
                    guard let done = current, raw.elementsEqual("COMMIT".utf8) else { return nil }
                    sections.append(done)
                    current = nil
                }
            }
            return current == nil ? sections : nil
        }
    }
}
