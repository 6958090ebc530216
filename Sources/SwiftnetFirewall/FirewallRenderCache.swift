import SwiftnetAddress

/// The rules last rendered for each bucket of published ports, with the bindings they were
/// rendered from, and for each network: a rendering re-renders only the buckets whose
/// bindings changed and the networks that are new or changed. A memo of a pure function, so it
/// is right whatever was installed since. One cache serves one `FirewallChains` (one
/// `Firewall`): the chains' names are in the rules.
struct FirewallRenderCache {
    /// One network's rules of one family, per chain (`FirewallRules.networkRules`).
    struct NetworkRules: Equatable {
        var dnated: [String] = []
        var loopback: [String] = []
        var forward: [String] = []
        /// Empty for a bridge named `swn-…`: the isolation chains drop those by wildcard.
        var isolation: [String] = []
        var inbound: [String] = []
        var masquerades: [String] = []
    }

    private struct NetworkEntry {
        var network: FirewallNetwork
        var publishing: Bool
        var rules: NetworkRules
    }

    /// Per family, by bridge: the networks of the last rendering only (see `rules(of:…)`).
    private var networks: [IPFamily: [String: NetworkEntry]] = [:]

    struct Rules: Equatable {
        var accept: [String]
        var dnat: [String]
        var hairpin: [String]
    }

    /// One binding's own rules (its ACCEPT and hairpin may be another binding's too: one
    /// container port published on two host addresses).
    struct BindingRules {
        var accept: String
        var hairpin: String
        var dnat: String
    }

    private struct Entry {
        /// In the order they came last time (the order they were added in, which rarely changes).
        var bindings: [FirewallPortBinding]
        var rules: Rules
        /// Each binding's rules: a re-rendering renders only the bindings new to the bucket.
        var each: [FirewallPortBinding: BindingRules]
    }

    private var entries: [IPFamily: [Int: Entry]] = [:]

    /// The rules of `network` for `family`, rendered again only if the network or whether it
    /// publishes a port differs from last time's. A network that is gone stays until
    /// `forgetNetworks(except:family:)`.
    mutating func rules(of network: FirewallNetwork, family: IPFamily, publishing: Bool, chains: FirewallChains) -> NetworkRules {
        if let entry = networks[family]?[network.bridge], entry.publishing == publishing, entry.network == network {
            return entry.rules
        }
        let rules = FirewallRules.networkRules(network, family: family, publishing: publishing, chains: chains)
        networks[family, default: [:]][network.bridge] = NetworkEntry(network: network, publishing: publishing, rules: rules)
        return rules
    }

    /// Forgets the networks of `family` that are not in `current`, which a rendering has just
    /// asked `rules(of:…)` for one by one: the entries then hold all of them, so more entries
    /// than `current` has means some network is gone (and only then is anything hashed).
    mutating func forgetNetworks(except current: [FirewallNetwork], family: IPFamily) {
        guard let entries = networks[family], entries.count > current.count else { return }
        let bridges = Set(current.map(\.bridge))
        networks[family] = entries.filter { bridges.contains($0.key) }
    }

    /// The rules of `bindings` (bucket `bucket` of `family`), rendered again only if the
    /// bindings differ from last time's.
    mutating func rules(bucket: Int, family: IPFamily, bindings: [FirewallPortBinding]) -> Rules {
        if let entry = entries[family]?[bucket] {
            if entry.bindings == bindings { return entry.rules }
            // The same bindings in another order render the same rules (they are sorted).
            if entry.bindings.count == bindings.count, Set(entry.bindings) == Set(bindings) {
                entries[family]?[bucket]?.bindings = bindings
                return entry.rules
            }
        }
        let rendered = FirewallRules.bucketRules(bindings, known: entries[family]?[bucket]?.each ?? [:])
        entries[family, default: [:]][bucket] = Entry(bindings: bindings, rules: rendered.rules, each: rendered.each)
        return rendered.rules
    }
}
