import CNetlink

/// Netlink dumps that come back interrupted are run again.
///
/// A dump (every link, every address, every route) comes in several messages; when the table
/// changes between two of them the kernel flags the dump (NLM_F_DUMP_INTR): the result may
/// miss or repeat entries. Debian 12's libnl 3.7 already restarts such a dump inside
/// `nl_cache_refill` (its "Dump interrupted, restarting!"), so the cache calls used here do
/// not return `-NLE_DUMP_INTR` there; libnl builds that pass the code up (older ones, or a
/// managed plugin's copy) would fail a start-up repair, a `doctor` or an automatic pool
/// choice at random on a host where dockerd churns veths. Those get the dump again here, as
/// the `ip` tool and CNI's `netlinksafe` do, a bounded number of times.
enum InterruptedDump {
    static let attempts = 10

    /// Runs `dump` until it returns a code other than `-NLE_DUMP_INTR`, at most `attempts`
    /// times, and returns the last code.
    static func retrying(_ dump: () -> Int32) -> Int32 {
        var code = dump()
        var attempt = 1
        while code == -NLE_DUMP_INTR && attempt < attempts {
            attempt += 1
            code = dump()
        }
        return code
    }
}
