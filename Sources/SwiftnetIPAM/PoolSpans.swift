import SwiftnetAddress

/// The address ranges of the pools held, for one family: each pool's prefix as a span (a
/// multiset: pools of two address spaces may share a prefix) and their union as sorted,
/// disjoint, non-adjacent runs. Automatic pool choice asks the union for the run that overlaps
/// a candidate — one binary search — instead of testing every pool, so choosing the next pool
/// past a few thousand packed ones costs a few steps, not a few thousand.
struct PoolSpans: Sendable {
    /// Sorted by lower bound, then upper bound.
    private var spans: [ClosedRange<UInt128>] = []
    private(set) var runs: [ClosedRange<UInt128>] = []

    var isEmpty: Bool { spans.isEmpty }

    /// Index of the first span not ordered before `span`.
    private func spanIndex(_ span: ClosedRange<UInt128>) -> Int {
        var low = 0, high = spans.count
        while low < high {
            let mid = (low + high) / 2
            let probe = spans[mid]
            if (probe.lowerBound, probe.upperBound) < (span.lowerBound, span.upperBound) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Index of the first run whose upper bound is >= `value`.
    private func runIndex(_ value: UInt128) -> Int {
        var low = 0, high = runs.count
        while low < high {
            let mid = (low + high) / 2
            if runs[mid].upperBound < value { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// How many pools have exactly `span`.
    func count(of span: ClosedRange<UInt128>) -> Int {
        var index = spanIndex(span), count = 0
        while index < spans.count, spans[index] == span { count += 1; index += 1 }
        return count
    }

    mutating func insert(_ span: ClosedRange<UInt128>) {
        spans.insert(span, at: spanIndex(span))
        // Runs that overlap the span or touch it merge with it.
        let first = runIndex(span.lowerBound == 0 ? 0 : span.lowerBound - 1)
        var last = first
        var merged = span
        while last < runs.count, span.upperBound == .max || runs[last].lowerBound <= span.upperBound + 1 {
            merged = min(merged.lowerBound, runs[last].lowerBound)...max(merged.upperBound, runs[last].upperBound)
            last += 1
        }
        runs.replaceSubrange(first..<last, with: [merged])
    }

    /// Removes one span equal to `span`; nothing if there is none.
    mutating func remove(_ span: ClosedRange<UInt128>) {
        let index = spanIndex(span)
        guard index < spans.count, spans[index] == span else { return }
        spans.remove(at: index)
        // Every span inside the run that held it starts inside that run: re-join just those.
        let runAt = runIndex(span.lowerBound)
        let run = runs[runAt]
        var rebuilt: [ClosedRange<UInt128>] = []
        var next = spanIndex(run.lowerBound...run.lowerBound)
        while next < spans.count, spans[next].lowerBound <= run.upperBound {
            let piece = spans[next]
            if let previous = rebuilt.last, previous.upperBound == .max || piece.lowerBound <= previous.upperBound + 1 {
                rebuilt[rebuilt.count - 1] = previous.lowerBound...max(previous.upperBound, piece.upperBound)
            } else {
                rebuilt.append(piece)
            }
            next += 1
        }
        runs.replaceSubrange(runAt...runAt, with: rebuilt)
    }

    /// The run of pools that overlaps `range`, the lowest if several do.
    func firstRun(overlapping range: ClosedRange<UInt128>) -> ClosedRange<UInt128>? {
        let index = runIndex(range.lowerBound)
        return index < runs.count && runs[index].lowerBound <= range.upperBound ? runs[index] : nil
    }
}

extension IPPrefix {
    /// The prefix's addresses as values.
    var span: ClosedRange<UInt128> { network.value...last.value }
}
