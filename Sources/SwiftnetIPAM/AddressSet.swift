/// The used ordinals of one pool. A bitmap up to 2^24 addresses (a /8), runs above that,
/// so allocation cost stays flat as a pool fills and memory stays small for IPv6.
struct AddressSet: Sendable {
    static let bitmapLimit: UInt128 = 1 << 24

    let lastOrdinal: UInt128
    private var bitmap: HierarchicalBitmap?
    private var runs: OrdinalRangeSet?

    init(lastOrdinal: UInt128) {
        self.lastOrdinal = lastOrdinal
        if lastOrdinal < AddressSet.bitmapLimit {
            bitmap = HierarchicalBitmap(bitCount: Int(lastOrdinal) + 1)
        } else {
            runs = OrdinalRangeSet()
        }
    }

    func contains(_ ordinal: UInt128) -> Bool {
        if let bitmap { return bitmap.contains(Int(ordinal)) }
        return runs!.contains(ordinal)
    }

    @discardableResult
    mutating func insert(_ ordinal: UInt128) -> Bool {
        precondition(ordinal <= lastOrdinal)
        if bitmap != nil { return bitmap!.insert(Int(ordinal)) }
        return runs!.insert(ordinal)
    }

    @discardableResult
    mutating func remove(_ ordinal: UInt128) -> Bool {
        if bitmap != nil { return bitmap!.remove(Int(ordinal)) }
        return runs!.remove(ordinal)
    }

    /// First free ordinal in `range` at or after `start`, wrapping round to `range.lowerBound`.
    func firstFree(in range: ClosedRange<UInt128>, from start: UInt128) -> UInt128? {
        let begin = min(max(start, range.lowerBound), range.upperBound)
        if let found = firstFree(from: begin), found <= range.upperBound { return found }
        if begin > range.lowerBound, let found = firstFree(from: range.lowerBound), found < begin {
            return found
        }
        return nil
    }

    private func firstFree(from start: UInt128) -> UInt128? {
        if let bitmap { return bitmap.firstClear(atOrAfter: Int(start)).map { UInt128($0) } }
        return runs!.firstAbsent(atOrAfter: start).flatMap { $0 <= lastOrdinal ? $0 : nil }
    }
}
