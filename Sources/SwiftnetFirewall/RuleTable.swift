/// One table's section of `iptables-restore` input, written exactly the way `iptables-save`
/// prints it back (chains sorted by name, each chain's rules together, canonical option
/// order), so that what is installed can be compared with what was rendered line by line.
///
/// Declaring `:CHAIN - [0:0]` under `--noflush` creates the chain or empties it, and the
/// section is committed as one transaction: re-rendering replaces our chains whole, and a
/// refused line leaves the old rules in place.
///
/// Rules are not checked for repeats here: hashing every rule of every network on each
/// rendering cost more than the rest of a CreateNetwork with 1,000 networks. They are unique
/// by construction (each network's rules name its bridge, one network per bridge; a bucket's
/// ACCEPT and hairpin rules are deduplicated by `FirewallRules.bucketRules`, and its DNATs
/// differ because `FirewallState` refuses two bindings of one host port), which
/// `FirewallPatch` relies on to delete a rule by its text; debug builds, the tests', check it.
struct RuleTable {
    let name: String
    private var chains: Set<String>
    private var rules: [String: [String]] = [:]

    init(name: String, chains: [String]) {
        self.name = name
        self.chains = Set(chains)
    }

    /// Declares one more chain (a bucket of published ports, a branch of networks), with its
    /// rules as rendered already (unique, in order).
    mutating func declare(_ chain: String, rules chainRules: [String]) {
        precondition(chains.insert(chain).inserted, "chain \(chain) declared twice")
        if !chainRules.isEmpty { rules[chain] = chainRules }
    }

    /// Appends `-A chain rule`.
    mutating func append(_ chain: String, _ rule: String) {
        append(chain, contentsOf: [rule])
    }

    /// Appends `-A chain rule` for each of `chainRules`, in order.
    mutating func append(_ chain: String, contentsOf chainRules: [String]) {
        guard !chainRules.isEmpty else { return }
        precondition(chains.contains(chain), "rule for undeclared chain \(chain)")
        rules[chain, default: []].append(contentsOf: chainRules)
    }

    /// The table as a patchable section; iptables-save lists user chains in byte order of
    /// their names (String's order, for the ASCII names `FirewallChains` allows).
    var section: FirewallPatch.Section {
        assert(rules.values.allSatisfy { Set($0).count == $0.count }, "a rule repeated in table \(name)")
        return FirewallPatch.Section(table: name, chains: chains.sorted(), rules: rules)
    }
}
