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
