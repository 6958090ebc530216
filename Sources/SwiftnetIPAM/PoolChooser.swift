import SwiftnetAddress

/// Picks the lowest free aligned subnet from a list of bases, skipping every subnet that
/// overlaps a pool in use or a host route (dockerd 27+'s "lowest first fit"). Skipping jumps
/// past each blocker, so the cost follows the number of blockers, not the number of candidates.
struct PoolChooser {
    var bases: [PoolBase]

    /// - Parameters:
    ///   - size: a prefix length to use instead of each base's own (`0.0.0.0/N` requests).
    ///   - blockers: subnets already taken, and host routes, each with a label for the error.
    func choose(family: IPFamily, size: Int?, blockers: [(prefix: IPPrefix, label: String)]) throws -> IPPrefix {
        let candidates = bases.filter { $0.base.family == family && $0.base.length <= (size ?? $0.size) }
        if candidates.isEmpty {
            if let size { throw IPAMError.invalidPool("no predefined \(family) base can hold a /\(size)") }
            throw IPAMError.noPoolAvailable(family: family, size: nil, conflicts: ["no \(family) base configured"])
        }
        let relevant = blockers.filter { $0.prefix.family == family }
        var seen: Set<String> = []
        var conflicts: [String] = []
        for base in candidates {
            let length = size ?? base.size
            guard var candidate = IPPrefix(address: base.base.network, length: length) else { continue }
            while true {
                guard let blocker = relevant.first(where: { $0.prefix.overlaps(candidate) }) else {
                    return candidate
                }
                if seen.insert(blocker.label).inserted { conflicts.append(blocker.label) }
                // Next aligned candidate after the end of the blocker (or of the candidate,
                // when the blocker is the smaller one).
                let end = max(blocker.prefix.last.value, candidate.last.value)
                let step = candidate.lastOrdinal
                guard end < base.base.last.value, end <= UInt128.max - step else { break }
                let next = IPAddress(family: family, value: end + 1)
                guard base.base.contains(next), let following = IPPrefix(address: next, length: length) else { break }
                candidate = following
            }
        }
        throw IPAMError.noPoolAvailable(family: family, size: size, conflicts: conflicts)
    }
}
