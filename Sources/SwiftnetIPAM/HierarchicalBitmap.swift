/// A bitmap with a summary level per 64 words: bit `i` of level `k+1` is set when word `i` of
/// level `k` is full. Finding the next free bit from any position therefore touches one word
/// per level (4 levels for a /8), however full the pool is — no scan of used addresses.
struct HierarchicalBitmap: Sendable {
    private(set) var bitCount: Int
    /// `levels[0]` holds one bit per address; the last level has a single word.
    private var levels: [[UInt64]]

    init(bitCount: Int) {
        precondition(bitCount > 0)
        self.bitCount = bitCount
        var levels: [[UInt64]] = []
        var bits = bitCount
        repeat {
            let words = (bits + 63) / 64
            var level = [UInt64](repeating: 0, count: words)
            // Bits past the end count as used so that searches never return them.
            let tail = bits % 64
            if tail != 0 { level[words - 1] = ~UInt64(0) << UInt64(tail) }
            levels.append(level)
            bits = words
        } while bits > 1
        self.levels = levels
        // A padded last word may already be full (only when it holds no real bit, which the
        // arithmetic above rules out), so no summary bit needs setting here.
    }

    func contains(_ bit: Int) -> Bool {
        levels[0][bit >> 6] & (1 << UInt64(bit & 63)) != 0
    }

    /// Sets `bit`; returns false when it was already set.
    @discardableResult
    mutating func insert(_ bit: Int) -> Bool {
        var index = bit
        for level in 0..<levels.count {
            let word = index >> 6
            let mask = UInt64(1) << UInt64(index & 63)
            let old = levels[level][word]
            if old & mask != 0 { return level != 0 }
            let new = old | mask
            levels[level][word] = new
            guard new == ~UInt64(0) else { return true }
            index = word  // the word became full: mark it in the level above
        }
        return true
    }

    /// Clears `bit`; returns false when it was not set.
    @discardableResult
    mutating func remove(_ bit: Int) -> Bool {
        var index = bit
        for level in 0..<levels.count {
            let word = index >> 6
            let mask = UInt64(1) << UInt64(index & 63)
            let old = levels[level][word]
            if old & mask == 0 { return level != 0 }
            levels[level][word] = old & ~mask
            guard old == ~UInt64(0) else { return true }
            index = word  // the word was full and is not any more
        }
        return true
    }

    /// The lowest clear bit at or after `start`, or nil.
    func firstClear(atOrAfter start: Int) -> Int? {
        guard start < bitCount else { return nil }
        return firstClear(level: 0, from: start)
    }

    private func firstClear(level: Int, from index: Int) -> Int? {
        let words = levels[level]
        guard index < words.count * 64 else { return nil }
        var word = index >> 6
        let free = ~words[word] & (~UInt64(0) << UInt64(index & 63))
        if free != 0 { return word << 6 + free.trailingZeroBitCount }
        guard level + 1 < levels.count, let next = firstClear(level: level + 1, from: word + 1) else {
            return nil
        }
        word = next
        return word << 6 + (~words[word]).trailingZeroBitCount
    }
}
