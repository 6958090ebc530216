import Foundation
import SwiftnetStore

/// A private copy of a state file that sits on read-only storage (a file system remounted
/// read-only after an error, a rescue mount), for the commands that only read it. SQLite
/// cannot open it where it is: it would write a lock file beside it, and opening it
/// `immutable` skips the WAL, and with it the last commits of a server that did not stop
/// cleanly. The copy takes the file and its WAL (the server's exclusive locking mode keeps
/// no `-shm` index). It is removed at exit, or, if the command was killed, by the next copy.
enum StateCopy {
    /// Whether the file system holding `path`, or its folder (where SQLite and the lock
    /// would write), is mounted read-only.
    static func isOnReadOnlyStorage(_ path: String) -> Bool {
        let folder = (path as NSString).deletingLastPathComponent
        return [path, folder.isEmpty ? "." : folder].contains { item in
            var stats = statvfs()
            return statvfs(item, &stats) == 0 && (stats.f_flag & UInt(ST_RDONLY)) != 0
        }
    }

    /// Copies the state and its WAL (if any) into a new folder of mode 0700, and returns the
    /// copy's path. Refused while a process holds the state's lock: a server writing it
    /// through another, writable path could checkpoint between the two copies.
    static func make(of state: String) throws -> String {
        // The file itself, not a link to it: SQLite keeps the WAL beside the file.
        guard let resolved = realpath(state, nil).map({ path in defer { free(path) }; return String(cString: path) }) else {
            throw OperatorCommandError("cannot resolve \(state): \(String(cString: strerror(errno)))")
        }
        try StateLock.refuseIfHeld(statePath: resolved)
        sweepCopiesOfEndedProcesses()
        let folder = try privateFolder(for: state)
        remove(atExit: folder)
        let copy = folder + "/" + (resolved as NSString).lastPathComponent
        do {
            try FileManager.default.copyItem(atPath: resolved, toPath: copy)
            if FileManager.default.fileExists(atPath: resolved + "-wal") {
                try FileManager.default.copyItem(atPath: resolved + "-wal", toPath: copy + "-wal")
            }
        } catch {
            throw OperatorCommandError("\(state) is on read-only storage and could not be copied to \(folder): \(error)")
        }
        return copy
    }

    static let namePrefix = "swiftnet-read-only-"

    /// Where a copy can go: `$TMPDIR` (or /tmp), else /run or /dev/shm, which stay writable
    /// when the root file system was remounted read-only.
    static var places: [String] {
        [NSTemporaryDirectory(), "/run", "/dev/shm"].map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    /// A new folder, mode 0700, named with this process's pid (see `sweepCopiesOfEndedProcesses`).
    private static func privateFolder(for state: String) throws -> String {
        var failures: [String] = []
        for place in places {
            var template = Array("\(place)/\(namePrefix)\(getpid())-XXXXXX".utf8CString)
            if let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) {
                return String(cString: made)
            }
            failures.append("\(place): \(String(cString: strerror(errno)))")
        }
        throw OperatorCommandError("\(state) is on read-only storage and no private copy could be made (\(failures.joined(separator: "; ")))")
    }

    /// Copies left by commands that were killed (Ctrl-C, a closed pipe): their pid is gone.
    private static func sweepCopiesOfEndedProcesses() {
        for place in places {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: place)) ?? [] where name.hasPrefix(namePrefix) {
                guard let pid = Int32(name.dropFirst(namePrefix.count).prefix { $0 != "-" }), pid != getpid(),
                      kill(pid, 0) != 0, errno == ESRCH else { continue }
                try? FileManager.default.removeItem(atPath: "\(place)/\(name)")
            }
        }
    }

    /// Folders `remove(atExit:)` was given; touched only by the main thread and at exit.
    nonisolated(unsafe) private static var folders: [String] = []

    private static func remove(atExit folder: String) {
        if folders.isEmpty {
            atexit {
                for folder in StateCopy.folders { try? FileManager.default.removeItem(atPath: folder) }
            }
        }
        folders.append(folder)
    }
}
