import SwiftnetAddress

/// What `iptables-save` printed, reduced to what is swiftnet's: our chains in the layout of
/// `FirewallRules.render` (so the two compare as text), and the rules of other chains that
/// jump into ours. Ours is decided by exact chain name.
struct SavedTables {
    /// Sections filter, nat and raw with our declarations and rules, counters zeroed; a chain that
    /// does not exist is missing from its section.
    let ours: String
    /// Per table, the names of our chains that exist.
    let chains: [String: [String]]
    /// Per table, the rules outside our chains that target one of our chains, as printed.
    let jumps: [String: [String]]
    /// Per table and chain outside ours, the rules as printed, in order.
    let otherRules: [String: [String: [String]]]
    /// Per table, every chain declared (ours and everyone else's).
    let declared: [String: Set<String>]

    /// Docker's contract with users: rules they put in DOCKER-USER see forwarded traffic
    /// before any of Docker's own (dockerd keeps the jump to it first in FORWARD). swiftnet's
    /// FORWARD jump goes right after it, so a user's DROP there stops traffic to swiftnet's
    /// containers too; and before everything else, because Docker's rules for its bridges
    /// (`-i docker0 ! -o docker0 -j ACCEPT`, Docker 28's DOCKER-FORWARD) would let their
    /// traffic into swiftnet's bridges before swiftnet's isolation drops saw it.
    static let dockerUserJump = "-A FORWARD -j DOCKER-USER"

    init(_ saved: String, chains: FirewallChains, family: IPFamily) {
        let tables = Dictionary(uniqueKeysWithValues: chains.byTable(family: family).map { ($0.table, Set($0.chains)) })
        let targets = Set(chains.byTable(family: family).flatMap(\.chains))
        var declarations: [String: [String]] = [:]
        var names: [String: [String]] = [:]
        var rules: [String: [String]] = [:]
        var jumps: [String: [String]] = [:]
        var otherRules: [String: [String: [String]]] = [:]
        var declared: [String: Set<String>] = [:]
        var table = ""
        for line in saved.split(separator: "\n", omittingEmptySubsequences: true) {
            let words = line.split(separator: " ")
            if line.hasPrefix("*") {
                table = String(line.dropFirst())
            } else if line.hasPrefix(":") {
                let name = String(words[0].dropFirst())
                declared[table, default: []].insert(name)
                if tables[table]?.contains(name) == true {
                    declarations[table, default: []].append(":\(name) - [0:0]")
                    names[table, default: []].append(name)
                }
            } else if words.count >= 2, words[0] == "-A" {
                if tables[table]?.contains(String(words[1])) == true {
                    rules[table, default: []].append(String(line))
                } else {
                    otherRules[table, default: [:]][String(words[1]), default: []].append(String(line))
                    if let target = words.firstIndex(of: "-j").map({ $0 + 1 }), target < words.count,
                       targets.contains(String(words[target])) {
                        jumps[table, default: []].append(String(line))
                    }
                }
            }
        }
        // A bucket or branch chain of ours with no rules is left out: the rendering never has
        // one (they exist only while they hold rules), and one stays where someone else's rule
        // jumps to it and so it could not be deleted (`Firewall.deleteEmptied`); it decides
        // nothing, and comparing it would restore our chains every round for nothing.
        let base = Set(chains.filter + chains.nat + chains.raw)
        ours = chains.byTable(family: family).map(\.table).map { name in
            let used = Set(rules[name, default: []].map { $0.split(separator: " ", maxSplits: 2)[1] })
            let declared = declarations[name, default: []].filter { line in
                let chain = line.dropFirst().split(separator: " ")[0]
                return base.contains(String(chain)) || used.contains(chain)
            }
            return (["*\(name)"] + declared + rules[name, default: []] + ["COMMIT"]).joined(separator: "\n") + "\n"
        }.joined()
        self.chains = names
        self.jumps = jumps
        self.otherRules = otherRules
        self.declared = declared
    }

    /// The rule number (1-based, for `-I`) where `jump` belongs in its built-in chain, counted
    /// without the jump itself: in FORWARD right after the first jump to DOCKER-USER, else
    /// first. Other chains' jumps may be anywhere (see `isInPlace`).
    func wantedPosition(of jump: FirewallJump) -> Int {
        guard jump.chain == "FORWARD" else { return 1 }
        let others = (otherRules[jump.table]?[jump.chain] ?? []).filter { $0 != jump.description }
        return others.firstIndex(of: SavedTables.dockerUserJump).map { $0 + 2 } ?? 1
    }

    /// Whether the FORWARD jump stands where `wantedPosition` puts it, or below other
    /// swiftnet servers' FORWARD jumps that stand there (a second server on the host with a
    /// prefix of its own puts its jump in the same place: each moving its own back on top
    /// would swap them for ever). Jumps into other chains only need to exist.
    func isInPlace(_ jump: FirewallJump) -> Bool {
        guard jump.chain == "FORWARD" else { return true }
        let rules = otherRules[jump.table]?[jump.chain] ?? []
        var index = rules.firstIndex(of: SavedTables.dockerUserJump).map { $0 + 1 } ?? 0
        while index < rules.count {
            if rules[index] == jump.description { return true }
            guard isOtherSwiftnetForwardJump(rules[index], table: jump.table) else { return false }
            index += 1
        }
        return false
    }

    /// `-A FORWARD -j P-FORWARD` for a valid prefix P (never one of Docker's: a prefix cannot
    /// start with DOCKER) whose `P-ISOLATION` chain exists too: another swiftnet's jump.
    func isOtherSwiftnetForwardJump(_ rule: String, table: String) -> Bool {
        let words = rule.split(separator: " ")
        guard words.count == 4, words[0] == "-A", words[1] == "FORWARD", words[2] == "-j", words[3].hasSuffix("-FORWARD") else {
            return false
        }
        let prefix = String(words[3].dropLast("-FORWARD".count))
        guard let chains = try? FirewallChains(prefix: prefix) else { return false }
        return declared[table]?.contains(chains.isolation) == true
    }

    /// Docker's bridges that neither `docker0` nor `br-+` matches (named with
    /// `com.docker.network.bridge.name`), sorted, as Docker's own filter rules name them
    /// (moby's iptablesdoc): `DOCKER-ISOLATION-STAGE-2 -o B -j DROP` (dockerd ≤ 28),
    /// `DOCKER-BRIDGE -o B -j DOCKER` and `DOCKER ! -i B -o B -j DROP` (28 and later, which
    /// dropped the isolation chains), and for `--internal` networks `! -s P -o B -j DROP` /
    /// `! -d P -i B -j DROP` in `DOCKER-ISOLATION-STAGE-1` (≤ 28) or `DOCKER-INTERNAL` (28 and
    /// later). swiftnet cannot ask dockerd (its API is never called), and a jump into Docker's
    /// chains would tie them to ours (dockerd deletes them at its start). Only a name iptables
    /// takes literally is kept (`FirewallState.checkBridge`), none of ours.
    var dockerBridges: [String] {
        var names: Set<String> = []
        let chains = otherRules["filter"] ?? [:]
        func rules(_ chain: String) -> [[String]] { (chains[chain] ?? []).map { $0.split(separator: " ").map(String.init) } }
        var found: [String] = []
        for words in rules("DOCKER-ISOLATION-STAGE-2") where words.count == 6 && words[2] == "-o" && words[4...] == ["-j", "DROP"] {
            found.append(words[3])
        }
        for words in rules("DOCKER-BRIDGE") where words.count == 6 && words[2] == "-o" && words[4...] == ["-j", "DOCKER"] {
            found.append(words[3])
        }
        for words in rules("DOCKER") where words.count == 9 && words[2...3] == ["!", "-i"] && words[5] == "-o" && words[4] == words[6]
            && words[7...] == ["-j", "DROP"] {
            found.append(words[4])
        }
        for words in rules("DOCKER-INTERNAL") + rules("DOCKER-ISOLATION-STAGE-1") where words.count == 9 && words[2] == "!"
            && ((words[3] == "-s" && words[5] == "-o") || (words[3] == "-d" && words[5] == "-i")) && words[7...] == ["-j", "DROP"] {
            found.append(words[6])
        }
        for name in found where (try? FirewallState.checkBridge(name)) != nil && !name.hasPrefix(FirewallChains.bridgePrefix) {
            names.insert(name)
        }
        return names.sorted()
    }

    /// Whether the jump appears, exactly as iptables-save prints it, in its table.
    func contains(_ jump: FirewallJump) -> Bool {
        jumps[jump.table]?.contains(jump.description) == true
    }
}
