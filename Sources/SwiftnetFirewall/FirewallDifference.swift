import SwiftnetIPAM

/// One way the installed firewall differs from the rendered one (for `swiftnet doctor`).
public struct FirewallDifference: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// A declaration or rule of ours that is not installed.
        case missing
        /// A rule in our chains that the state does not render.
        case unexpected
        /// A jump from a built-in chain into ours that is not there.
        case missingJump
    }

    public var kind: Kind
    public var family: IPFamily
    public var table: String
    /// As iptables-save prints it: `-A CHAIN …` or `:CHAIN - [0:0]`.
    public var rule: String

    public init(kind: Kind, family: IPFamily, table: String, rule: String) {
        self.kind = kind
        self.family = family
        self.table = table
        self.rule = rule
    }

    /// Compares two texts in the layout of `FirewallRules.render` (and `Firewall.savedRules`)
    /// line by line per table, counting repeats: a rule installed once but rendered twice is
    /// missing once. Order within a chain is not compared: the rendering never depends on it
    /// for correctness of a single line, and a reordered chain is re-applied by `apply` anyway.
    public static func compare(expected: String, installed: String, family: IPFamily) -> [FirewallDifference] {
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
        return differences
    }

    /// Number of rules (`-A` lines) in a rendered text.
    public static func ruleCount(_ text: String) -> Int {
        text.split(separator: "\n").filter { $0.hasPrefix("-A ") }.count
    }
}
