/// A rule in a built-in chain that sends packets into one of swiftnet's chains. These are the
/// only rules swiftnet puts into chains it does not own, so they are kept apart from the
/// rendered text: `iptables-restore --noflush` cannot add a rule "only if missing", and
/// re-adding on every start would pile up duplicates. They are checked with `-C` and inserted
/// with `-I … 1` instead.
package struct FirewallJump: Sendable, Equatable, CustomStringConvertible {
    /// `filter` or `nat`.
    package var table: String
    /// The built-in chain: `FORWARD`, `PREROUTING`, `OUTPUT` or `POSTROUTING`.
    package var chain: String
    /// Matches and target, e.g. `["-m", "addrtype", "--dst-type", "LOCAL", "-j", "SWIFTNET-DNAT"]`.
    package var rule: [String]

    package init(table: String, chain: String, rule: [String]) {
        self.table = table
        self.chain = chain
        self.rule = rule
    }

    /// `iptables` arguments asking whether the jump is there (exit 0 yes, 1 no).
    package var checkArguments: [String] { ["-w", "-t", table, "-C", chain] + rule }
    /// `iptables` arguments inserting the jump first in its chain, so it runs before Docker's
    /// rules and before a DROP policy.
    package var insertArguments: [String] { insertArguments(at: 1) }
    /// The same at rule number `position` (1-based): the FORWARD jump goes after DOCKER-USER's.
    package func insertArguments(at position: Int) -> [String] { ["-w", "-t", table, "-I", chain, "\(position)"] + rule }
    /// `iptables` arguments deleting one copy of the jump.
    package var deleteArguments: [String] { ["-w", "-t", table, "-D", chain] + rule }

    /// The jump as `iptables-save` would print it (without the table).
    package var description: String { (["-A", chain] + rule).joined(separator: " ") }
}
