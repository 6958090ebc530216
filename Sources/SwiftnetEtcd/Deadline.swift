import Glibc

/// A point on the monotonic clock by which a call must be done; the wall clock may jump.
struct Deadline: Sendable {
    let nanoseconds: UInt64

    init(secondsFromNow seconds: Double) {
        nanoseconds = Deadline.now() + UInt64(max(0, seconds) * 1e9)
    }

    static func now() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    var hasPassed: Bool { Deadline.now() >= nanoseconds }

    /// Milliseconds left, for poll(); 0 once passed.
    var remainingMilliseconds: Int32 {
        let now = Deadline.now()
        guard nanoseconds > now else { return 0 }
        return Int32(clamping: (nanoseconds - now + 999_999) / 1_000_000)
    }
}
