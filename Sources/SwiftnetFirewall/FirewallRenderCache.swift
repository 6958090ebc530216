import SwiftnetAddress

/// The rules last rendered for each bucket of published ports, with the bindings they were
/// rendered from: a rendering re-renders only the buckets whose bindings changed. A memo of a
/// pure function, so it is right whatever was installed since.
struct FirewallRenderCache {
    struct Rules: Equatable {
        var accept: [String]
        var dnat: [String]
        var hairpin: [String]
    }

    private struct Entry {
        var bindings: Set<FirewallPortBinding>
        var rules: Rules
    }

    private var entries: [IPFamily: [Int: Entry]] = [:]

    /// The rules of `bindings` (bucket `bucket` of `family`), rendered again only if the
    /// bindings differ from last time's.
    mutating func rules(bucket: Int, family: IPFamily, bindings: [FirewallPortBinding]) -> Rules {
        let set = Set(bindings)
        if let entry = entries[family]?[bucket], entry.bindings == set { return entry.rules }
        let rules = FirewallRules.bucketRules(bindings)
        entries[family, default: [:]][bucket] = Entry(bindings: set, rules: rules)
        return rules
    }
}
