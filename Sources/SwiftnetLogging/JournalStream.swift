#if canImport(Glibc)
import Glibc
#endif

/// Whether standard error is systemd's journal. systemd sets `JOURNAL_STREAM` to the device
/// and inode of the stream it connects a service's stdout/stderr to; as sd_journal_stream_fd(3)
/// advises, the variable counts only when standard error is still that stream (a child whose
/// stderr was redirected to a file inherits the variable, not the journal).
package enum JournalStream {
    /// `value` (`JOURNAL_STREAM`, "DEVICE:INODE" in decimal) names the file `device`/`inode`.
    package static func names(_ value: String, device: UInt64, inode: UInt64) -> Bool {
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let wantedDevice = UInt64(parts[0]), let wantedInode = UInt64(parts[1]) else { return false }
        return wantedDevice == device && wantedInode == inode
    }

    /// True when `JOURNAL_STREAM` names what file descriptor 2 is.
    package static var isStandardError: Bool {
        guard let value = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return names(value, device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The style of `swiftnet serve`'s log lines here.
    package static var logStyle: LogLineHandler.Style { isStandardError ? .journal : .plain }
}
