import Glibc

/// One look at this process's file descriptors: how many are open, the soft limit, and
/// whether a new one could be opened just then. Pure: `DescriptorProbe` takes the look.
package struct DescriptorUsage: Sendable, Equatable {
    /// Entries of /proc/self/fd; nil if they could not be counted.
    package var open: Int?
    /// The soft RLIMIT_NOFILE.
    package var limit: Int
    /// errno of a trial open(2) of /dev/null; nil if it succeeded.
    package var openError: Int32?

    package init(open: Int?, limit: Int, openError: Int32? = nil) {
        self.open = open
        self.limit = limit
        self.openError = openError
    }

    /// Descriptors kept free for one request's work: an iptables run takes 6 for a moment,
    /// a netlink socket, SQLite's journal and the client's connection one each. Fewer free
    /// than this counts as exhausted. 1/16 of the limit, at least 8, at most 64.
    package static func reserve(limit: Int) -> Int { max(8, min(64, limit / 16)) }

    /// Why the server cannot count on opening descriptors any more; nil while it can.
    package var problem: String? {
        let count = open.map { "\($0) of \(limit)" } ?? "? of \(limit)"
        switch openError {
        case EMFILE?: return "file descriptors exhausted: cannot open one (EMFILE, \(count) open)"
        case ENFILE?: return "the system's file table is full: cannot open a file descriptor (ENFILE, \(count) open)"
        default: break
        }
        let reserve = DescriptorUsage.reserve(limit: limit)
        if let open, open > limit - reserve {
            return "file descriptors nearly exhausted: \(count) open, fewer than \(reserve) free"
        }
        return nil
    }
}
