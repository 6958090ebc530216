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
        /// In the order they came last time (the records' order, which rarely changes).
        var bindings: [FirewallPortBinding]
        var rules: Rules
    }

    private var entries: [IPFamily: [Int: Entry]] = [:]

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
        let rules = FirewallRules.bucketRules(bindings)
        entries[family, default: [:]][bucket] = Entry(bindings: bindings, rules: rules)
        return rules
    }
}
