/// What `iptables-save` printed, reduced to what is swiftnet's: our chains in the layout of
/// `FirewallRules.render` (so the two compare as text), and the rules of other chains that
/// jump into ours. Ours is decided by exact chain name.
struct SavedTables {
    /// Sections filter, nat and raw with our declarations and rules, counters zeroed; a chain that
    /// does not exist is missing from its section.
    let ours: String
    /// Per table, the rules outside our chains that target one of our chains, as printed.
    let jumps: [String: [String]]
    /// Per table and chain, the first rule as printed.
    let firstRules: [String: [String: String]]

    init(_ saved: String, chains: FirewallChains) {
        let tables = Dictionary(uniqueKeysWithValues: chains.byTable.map { ($0.table, Set($0.chains)) })
        let targets = Set(chains.byTable.flatMap(\.chains))
        var declarations: [String: [String]] = [:]
        var rules: [String: [String]] = [:]
        var jumps: [String: [String]] = [:]
        var firstRules: [String: [String: String]] = [:]
        var table = ""
        for line in saved.split(separator: "\n", omittingEmptySubsequences: true) {
            let words = line.split(separator: " ")
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
            } else if line.hasPrefix(":") {
                let name = String(words[0].dropFirst())
                if tables[table]?.contains(name) == true { declarations[table, default: []].append(":\(name) - [0:0]") }
            } else if words.count >= 2, words[0] == "-A" {
                if firstRules[table]?[String(words[1])] == nil { firstRules[table, default: [:]][String(words[1])] = String(line) }
                if tables[table]?.contains(String(words[1])) == true {
                    rules[table, default: []].append(String(line))
                } else if let target = words.firstIndex(of: "-j").map({ $0 + 1 }), target < words.count,
                          targets.contains(String(words[target])) {
                    jumps[table, default: []].append(String(line))
                }
            }
        }
        ours = chains.byTable.map(\.table).map { name in
            (["*\(name)"] + declarations[name, default: []] + rules[name, default: []] + ["COMMIT"]).joined(separator: "\n") + "\n"
        }.joined()
        self.jumps = jumps
        self.firstRules = firstRules
    }

    /// Whether the jump is the first rule of its built-in chain.
    func isFirst(_ jump: FirewallJump) -> Bool {
        firstRules[jump.table]?[jump.chain] == jump.description
    }

    /// Whether the jump appears, exactly as iptables-save prints it, in its table.
    func contains(_ jump: FirewallJump) -> Bool {
        jumps[jump.table]?.contains(jump.description) == true
    }
}
