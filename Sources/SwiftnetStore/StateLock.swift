import Foundation

/// One server per state file: an exclusive `flock` on `<state>.lock`, held for the process
/// lifetime and released by the kernel however the process ends (so kill -9 leaves no
/// stale lock behind).
package final class StateLock: Sendable {
    package let path: String
    private let fd: Int32

    package init(statePath: String) throws {
        path = statePath + ".lock"
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateLockError.cannotOpen(path, errno: errno) }
        // A few tries 10 ms apart: `refuseIfHeld` of a refused process holds it shared for a moment.
        var locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        for _ in 0..<5 where !locked && errno == EWOULDBLOCK {
            usleep(10_000)
            locked = flock(fd, LOCK_EX | LOCK_NB) == 0
        }
        guard locked else {
            close(fd)
            throw StateLockError.held(statePath, holderPID: StateLock.holder(path))
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }

    /// Throws `held` if a process holds the lock of `statePath`, and changes nothing: no lock
    /// file is created, none is written. (For a refusal to name the state rather than
    /// something else the same server holds.)
    package static func refuseIfHeld(statePath: String) throws {
        let path = statePath + ".lock"
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK {
            throw StateLockError.held(statePath, holderPID: holder(path))
        }
    }

    /// The pid the holder wrote into the lock file ("" if none can be read).
    private static func holder(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
    }
}

package enum StateLockError: Error, CustomStringConvertible {
    case cannotOpen(String, errno: Int32)
    case held(String, holderPID: String)

    package var description: String {
        switch self {
        case .cannotOpen(let path, let code):
            return "cannot open lock file \(path): \(String(cString: strerror(code)))"
        case .held(let state, let pid):
            let who = pid.isEmpty ? "another swiftnet" : "another swiftnet (pid \(pid))"
            return "\(who) is already serving state \(state); stop it first or use --state for a separate state file"
        }
    }
}
