import CNetlink

/// Netlink dumps that the kernel interrupted are run again.
///
/// A dump (every link, every address, every route) comes in several messages; when the table
/// changes between two of them the kernel flags the dump (NLM_F_DUMP_INTR) and libnl answers
/// `-NLE_DUMP_INTR`: the result may miss or repeat entries. On a host where dockerd creates
/// and deletes veths all the time that happens often enough to fail a start-up repair, a
/// `doctor` or an automatic pool choice at random. The answer is to dump again, as the `ip`
/// tool and CNI's `netlinksafe` do; the bound keeps a host that never stops changing from
/// looping for ever.
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
