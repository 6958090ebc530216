import SwiftnetAddress

/// One way the installed firewall differs from the rendered one (for `swiftnet doctor`).
package struct FirewallDifference: Sendable, Equatable {
    package enum Kind: String, Sendable {
        /// A declaration or rule of ours that is not installed.
        case missing
        /// A rule in our chains that the state does not render.
        case unexpected
        /// Our rules are all there but in another order (`rule` is the first out of place);
        /// order matters: a bridge's own ACCEPT/DROP comes before its isolation jump.
        case misordered
        /// A jump from a built-in chain into ours that is not there.
        case missingJump
        /// The FORWARD jump is there but not in its place (right after the jump to
        /// DOCKER-USER, else first): rules inserted above it decide first.
        case jumpNotFirst
    }

    package var kind: Kind
    package var family: IPFamily
    package var table: String
    /// As iptables-save prints it: `-A CHAIN …` or `:CHAIN - [0:0]`.
    package var rule: String

    package init(kind: Kind, family: IPFamily, table: String, rule: String) {
        self.kind = kind
        self.family = family
        self.table = table
        self.rule = rule
    }

    /// Compares two texts in the layout of `FirewallRules.render` (and `Firewall.savedRules`)
    /// line by line per table, counting repeats: a rule installed once but rendered twice is
    /// missing once. Where a table has the same lines in another order, the first line out of
    /// place is reported as misordered.
    package static func compare(expected: String, installed: String, family: IPFamily) -> [FirewallDifference] {
        func lines(_ text: String) -> [(table: String, line: String)] {
            var table = ""
            var result: [(table: String, line: String)] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
                if line.hasPrefix("*") { table = String(line.dropFirst()); continue }
                if line == "COMMIT" { continue }
                result.append((table, String(line)))
            }
            return result
        }
        var remaining: [String: Int] = [:]
        for entry in lines(installed) { remaining["\(entry.table) \(entry.line)", default: 0] += 1 }
        var differences: [FirewallDifference] = []
        for entry in lines(expected) {
            let key = "\(entry.table) \(entry.line)"
            if let count = remaining[key], count > 0 {
                remaining[key] = count - 1
            } else {
                differences.append(FirewallDifference(kind: .missing, family: family, table: entry.table, rule: entry.line))
            }
        }
        for entry in lines(installed) {
            let key = "\(entry.table) \(entry.line)"
            if let count = remaining[key], count > 0 {
                remaining[key] = count - 1
                differences.append(FirewallDifference(kind: .unexpected, family: family, table: entry.table, rule: entry.line))
            }
        }
        let differing = Set(differences.map(\.table))
        for table in Set(lines(expected).map(\.table)).subtracting(differing).sorted() {
            let wanted = lines(expected).filter { $0.table == table }.map(\.line)
            let present = lines(installed).filter { $0.table == table }.map(\.line)
            if let index = wanted.indices.first(where: { $0 >= present.count || wanted[$0] != present[$0] }) {
                differences.append(FirewallDifference(kind: .misordered, family: family, table: table, rule: wanted[index]))
            }
        }
        return differences
    }

    /// Number of rules (`-A` lines) in a rendered text.
    package static func ruleCount(_ text: String) -> Int {
        text.split(separator: "\n").filter { $0.hasPrefix("-A ") }.count
    }
}
