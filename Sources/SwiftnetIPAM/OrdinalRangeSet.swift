/// A set of ordinals kept as sorted, disjoint, non-adjacent closed ranges. Used for pools too
/// large for a bitmap (IPv6 /64): memory follows the number of runs, not the pool size, and
/// every query is a binary search.
struct OrdinalRangeSet: Sendable {
    private var ranges: [ClosedRange<UInt128>] = []

    /// Index of the first range whose upper bound is >= `value`.
    private func searchIndex(_ value: UInt128) -> Int {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].upperBound < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    func contains(_ value: UInt128) -> Bool {
        let index = searchIndex(value)
        return index < ranges.count && ranges[index].contains(value)
    }

    @discardableResult
    mutating func insert(_ value: UInt128) -> Bool {
        let index = searchIndex(value)
        if index < ranges.count && ranges[index].contains(value) { return false }
        let joinsNext = index < ranges.count && value != .max && ranges[index].lowerBound == value + 1
        let joinsPrevious = index > 0 && value != 0 && ranges[index - 1].upperBound == value - 1
        switch (joinsPrevious, joinsNext) {
        case (true, true):
            ranges[index - 1] = ranges[index - 1].lowerBound...ranges[index].upperBound
            ranges.remove(at: index)
        case (true, false):
            ranges[index - 1] = ranges[index - 1].lowerBound...value
        case (false, true):
            ranges[index] = value...ranges[index].upperBound
        case (false, false):
            ranges.insert(value...value, at: index)
        }
        return true
    }

    @discardableResult
    mutating func remove(_ value: UInt128) -> Bool {
        let index = searchIndex(value)
        guard index < ranges.count, ranges[index].contains(value) else { return false }
        let range = ranges[index]
        if range.lowerBound == range.upperBound {
            ranges.remove(at: index)
        } else if value == range.lowerBound {
            ranges[index] = (value + 1)...range.upperBound
        } else if value == range.upperBound {
            ranges[index] = range.lowerBound...(value - 1)
        } else {
            ranges[index] = range.lowerBound...(value - 1)
            ranges.insert((value + 1)...range.upperBound, at: index + 1)
        }
        return true
    }

    /// The lowest value >= `start` that is not in the set (nil only if everything up to .max is).
    func firstAbsent(atOrAfter start: UInt128) -> UInt128? {
        let index = searchIndex(start)
        guard index < ranges.count, ranges[index].contains(start) else { return start }
        // Ranges are non-adjacent, so the value after a run is always free.
        let upper = ranges[index].upperBound
        return upper == .max ? nil : upper + 1
    }
}
