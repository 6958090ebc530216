import Foundation

/// SplitMix64: a tiny generator whose whole sequence follows from one seed, so a failing
/// fuzz run can be replayed with `SWIFTNET_FUZZ_SEED`.
package struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    package init(seed: UInt64) { state = seed }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `SWIFTNET_FUZZ_SEED` (decimal, or hexadecimal after `0x`) if set, else `fallback`.
    package static func seed(default fallback: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["SWIFTNET_FUZZ_SEED"].flatMap { text in
            text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        } ?? fallback
    }
}
