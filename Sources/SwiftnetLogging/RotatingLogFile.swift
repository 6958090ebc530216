#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// `swiftnet serve --log-file`: the log in a file that rotates itself by size — PATH, then
/// PATH.1 (the previous one) … PATH.keep, the oldest dropped — so that a host without systemd's
/// journal (and without cron to run logrotate) never fills its disk with swiftnet's log.
///
/// With `redirectingStandardStreams` (the server's case) the file also becomes standard output
/// and error (dup2), so whatever else a process writes there — a Swift runtime crash message —
/// lands in the current file and follows it when it rotates. Lines are written whole, one
/// write(2) each, under a lock shared with the rotation.
package final class RotatingLogFile: Sendable {
    package let path: String
    package let maximumBytes: Int
    package let keep: Int
    private let redirecting: Bool
    private struct Current {
        var descriptor: Int32
        var size: Int
    }
    private let current: Mutex<Current>

    /// Opens (creates, mode 0640, or appends to) `path`. `keep` ≥ 1 rotated files are kept.
    package init(path: String, maximumBytes: Int, keep: Int, redirectingStandardStreams: Bool) throws(LogFileError) {
        precondition(maximumBytes > 0 && keep >= 1)
        self.path = path
        self.maximumBytes = maximumBytes
        self.keep = keep
        redirecting = redirectingStandardStreams
        let descriptor = try RotatingLogFile.open(path, redirecting: redirectingStandardStreams)
        var info = stat()
        let size = fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
        current = Mutex(Current(descriptor: descriptor, size: size))
    }

    deinit {
        current.withLock { if !redirecting { close($0.descriptor) } }
    }

    /// Appends `line` (newline included), rotating first when it would take the file past
    /// the maximum (a file holds at least one line, however long).
    package func write(_ line: String) {
        current.withLock { current in
            let bytes = Array(line.utf8)
            if current.size > 0 && current.size + bytes.count > maximumBytes {
                rotate(&current)
            }
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { Glibc.write(current.descriptor, $0.baseAddress! + offset, bytes.count - offset) }
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { break }
                offset += written
            }
            current.size += offset
        }
    }

    private func rotate(_ current: inout Current) {
        // PATH.keep goes; PATH.(n) becomes PATH.(n+1); PATH becomes PATH.1.
        unlink("\(path).\(keep)")
        for index in stride(from: keep - 1, through: 1, by: -1) {
            rename("\(path).\(index)", "\(path).\(index + 1)")
        }
        guard rename(path, "\(path).1") == 0, let fresh = try? RotatingLogFile.open(path, redirecting: redirecting) else {
            // Could not rotate (a read-only folder, say): keep writing here, and try again
            // after another maximumBytes rather than at every line.
            current.size = 0
            return
        }
        if !redirecting { close(current.descriptor) }
        current = Current(descriptor: fresh, size: 0)
    }

    /// The file's descriptor, or — redirecting — 2, with 1 and 2 now the file.
    private static func open(_ path: String, redirecting: Bool) throws(LogFileError) -> Int32 {
        let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw LogFileError(path: path, errno: errno) }
        guard redirecting else { return descriptor }
        defer { close(descriptor) }
        guard dup2(descriptor, 1) >= 0, dup2(descriptor, 2) >= 0 else { throw LogFileError(path: path, errno: errno) }
        return 2
    }
}

extension RotatingLogFile {
    /// `4096`, `64K`, `10M`, `1G` (1024-based) as bytes; nil for anything else or beyond 1 TiB.
    package static func bytes(_ text: String) -> Int? {
        let units: [Character: Int] = ["K": 1 << 10, "k": 1 << 10, "M": 1 << 20, "m": 1 << 20, "G": 1 << 30, "g": 1 << 30]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let multiple = units[last] {
            unit = multiple
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), digits.count <= 13,
              let number = Int(digits), number <= (1 << 40) / unit else { return nil }
        return number * unit
    }
}

package struct LogFileError: Error, CustomStringConvertible {
    package let path: String
    package let errno: Int32

    package var description: String { "cannot open log file \(path): \(String(cString: strerror(errno)))" }
}
