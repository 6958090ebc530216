import Glibc
import Synchronization

/// Takes a `DescriptorUsage` of this process. The /proc/self/fd directory is opened once and
/// kept: a process out of descriptors could not open it to count them, and that is exactly
/// when the count matters. (It is one of the descriptors it counts.)
package final class DescriptorProbe: Sendable {
    /// The DIR of /proc/self/fd, or nil if it could not be opened; behind the lock because a
    /// DIR's position and buffer are shared state.
    private let directory: Mutex<Directory>

    private struct Directory: @unchecked Sendable {
        var stream: OpaquePointer?
    }

    package init() {
        directory = Mutex(Directory(stream: opendir("/proc/self/fd")))
    }

    deinit {
        directory.withLock { if let stream = $0.stream { closedir(stream) } }
    }

    package func sample() -> DescriptorUsage {
        let open = count()
        let fd = Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC)
        let openError = fd < 0 ? errno : nil
        if fd >= 0 { close(fd) }
        return DescriptorUsage(open: open, limit: DescriptorProbe.softLimit(), openError: openError)
    }

    /// Reading from the start again lists the descriptors open now: procfs builds the
    /// listing on each read.
    private func count() -> Int? {
        directory.withLock { directory -> Int? in
            guard let stream = directory.stream else { return nil }
            rewinddir(stream)
            var entries = 0
            while let entry = readdir(stream) {
                let isDot = withUnsafeBytes(of: entry.pointee.d_name) { name in
                    name[0] == UInt8(ascii: ".") && (name[1] == 0 || (name[1] == UInt8(ascii: ".") && name[2] == 0))
                }
                if !isDot { entries += 1 }
            }
            return entries
        }
    }

    package static func softLimit() -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return Int.max }
        return limit.rlim_cur >= UInt(Int.max) ? Int.max : Int(limit.rlim_cur)
    }
}
