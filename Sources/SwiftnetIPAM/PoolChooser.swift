import SwiftnetAddress

/// Picks the lowest free aligned subnet from a list of bases, skipping every subnet that
/// overlaps a pool in use or a host route (dockerd 27+'s "lowest first fit").
struct PoolChooser {
    var bases: [PoolBase]
    /// Candidates looked at by the last `choose` (tests check the cost stays flat).
    private(set) var examined = 0

    init(bases: [PoolBase]) {
        self.bases = bases
    }

    /// The pools held are asked as their union (`PoolSpans`): a run of packed pools is skipped
    /// in one step, so the cost follows the number of gaps and routes visited, not the number
    /// of pools. When nothing is free, the error's list of conflicts comes from `choose(…,
    /// blockers:)`, the plain scan, which is only run then.
    ///
    /// - Parameters:
    ///   - size: a prefix length to use instead of each base's own (`0.0.0.0/N` requests).
    ///   - pools: the pools of `family` held, in every address space.
    ///   - routes: host routes of `family`.
    ///   - blockers: every pool and route with a label, for the error; made only if needed.
    mutating func choose(family: IPFamily, size: Int?, pools: PoolSpans, routes: [IPPrefix],
                         blockers: () -> [(prefix: IPPrefix, label: String)]) throws -> IPPrefix {
        examined = 0
        let routeSpans = routes.filter { $0.family == family }.map(\.span)
        for base in bases where base.base.family == family && base.base.length <= (size ?? base.size) {
            let length = size ?? base.size
            guard var candidate = IPPrefix(address: base.base.network, length: length) else { continue }
            while true {
                examined += 1
                let range = candidate.span
                var blockedUntil = pools.firstRun(overlapping: range)?.upperBound
                for route in routeSpans where route.overlaps(range) {
                    blockedUntil = max(blockedUntil ?? 0, route.upperBound)
                }
                guard let blockedUntil else { return candidate }
                // The next aligned candidate after the end of what blocks this one.
                let end = max(blockedUntil, range.upperBound)
                let step = candidate.lastOrdinal
                guard end < base.base.last.value, end <= UInt128.max - step else { break }
                guard let containing = IPPrefix(address: IPAddress(family: family, value: end + 1), length: length) else { break }
                var next = containing
                if containing.network.value <= end {
                    guard containing.last.value < base.base.last.value,
                          let following = IPPrefix(address: IPAddress(family: family, value: containing.last.value + 1), length: length)
                    else { break }
                    next = following
                }
                guard base.base.contains(next.network) else { break }
                candidate = next
            }
        }
        return try choose(family: family, size: size, blockers: blockers())
    }

    /// The plain scan: each candidate against every blocker in turn. Quadratic in the number of
    /// pools; kept for the error's list of conflicts and as the reference the tests compare with.
    ///
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
