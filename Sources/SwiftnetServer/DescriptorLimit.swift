import Glibc

/// The process's RLIMIT_NOFILE. systemd starts services with a soft limit of 1024 and a far
/// higher hard one: the soft one is raised to the hard one at start, which only the hard
/// limit's owner (the unit's LimitNOFILE=) can lower again.
package enum DescriptorLimit {
    package struct Change: Sendable, Equatable {
        package var softBefore: UInt
        package var soft: UInt
        package var hard: UInt
        /// errno of a refused setrlimit; the soft limit then stays as it was.
        package var error: Int32?
    }

    package static func raiseSoftToHard() -> Change {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            return Change(softBefore: 0, soft: 0, hard: 0, error: errno)
        }
        let before = limit.rlim_cur
        // Capped at 2^20 (never lowered): containers may allow ~2^30 (LimitNOFILE=infinity),
        // which every iptables child would inherit.
        let target = min(limit.rlim_max, max(limit.rlim_cur, 1 << 20))
        guard limit.rlim_cur < target else { return Change(softBefore: before, soft: before, hard: limit.rlim_max) }
        var raised = limit
        raised.rlim_cur = target
        guard setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 else {
            return Change(softBefore: before, soft: before, hard: limit.rlim_max, error: errno)
        }
        return Change(softBefore: before, soft: raised.rlim_cur, hard: limit.rlim_max)
    }
}
