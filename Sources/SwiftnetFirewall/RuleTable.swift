/// One table's section of `iptables-restore` input, written exactly the way `iptables-save`
/// prints it back (chains sorted by name, each chain's rules together, canonical option
/// order), so that what is installed can be compared with what was rendered line by line.
///
/// Declaring `:CHAIN - [0:0]` under `--noflush` creates the chain or empties it, and the
/// section is committed as one transaction: re-rendering replaces our chains whole, and a
/// refused line leaves the old rules in place.
struct RuleTable {
    let name: String
    private var chains: Set<String>
    private var rules: [String: [String]] = [:]
    private var seen: [String: Set<String>] = [:]

    init(name: String, chains: [String]) {
        self.name = name
        self.chains = Set(chains)
    }

    /// Declares one more chain (a bucket of published ports), with its rules as rendered
    /// already (unique, in order).
    mutating func declare(_ chain: String, rules chainRules: [String]) {
        precondition(chains.insert(chain).inserted, "chain \(chain) declared twice")
        if !chainRules.isEmpty { rules[chain] = chainRules }
    }

    /// Appends `-A chain rule`; a rule already in the chain is not repeated (two bindings of
    /// one container port on two host addresses need a single ACCEPT).
    mutating func append(_ chain: String, _ rule: String) {
        precondition(chains.contains(chain), "rule for undeclared chain \(chain)")
        guard seen[chain, default: []].insert(rule).inserted else { return }
        rules[chain, default: []].append(rule)
    }

    /// The table as a patchable section; iptables-save lists user chains in byte order of
    /// their names (String's order, for the ASCII names `FirewallChains` allows).
    var section: FirewallPatch.Section {
        FirewallPatch.Section(table: name, chains: chains.sorted(), rules: rules)
    }
}
