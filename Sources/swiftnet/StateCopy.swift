import Foundation

/// A private copy of a state file that sits on read-only storage (a file system remounted
/// read-only after an error, a rescue mount), for the commands that only read it. SQLite
/// cannot open it where it is: the state's WAL mode needs its lock file and, for a WAL left
/// by a crash, a shared-memory index beside it, and opening it `immutable` would skip the WAL
/// and with it the last commits. Nobody can write to read-only storage, so the copy is the
/// state as it stands. It is removed when the process exits.
enum StateCopy {
    /// Whether the file system holding `path` is mounted read-only.
    static func isOnReadOnlyStorage(_ path: String) -> Bool {
        var stats = statvfs()
        return statvfs(path, &stats) == 0 && (stats.f_flag & UInt(ST_RDONLY)) != 0
    }

    /// Copies the state and its WAL (if any) into a new folder only root can read, and
    /// returns the copy's path.
    static func make(of state: String) throws -> String {
        var template = Array((NSTemporaryDirectory() + "/swiftnet-read-only-XXXXXX").utf8CString)
        guard let folder = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }).map({ String(cString: $0) }) else {
            throw OperatorCommandError("\(state) is on read-only storage and no private copy could be made: mkdtemp: \(String(cString: strerror(errno)))")
        }
        remove(atExit: folder)
        let copy = folder + "/" + (state as NSString).lastPathComponent
        do {
            try FileManager.default.copyItem(atPath: state, toPath: copy)
            if FileManager.default.fileExists(atPath: state + "-wal") {
                try FileManager.default.copyItem(atPath: state + "-wal", toPath: copy + "-wal")
            }
        } catch {
            throw OperatorCommandError("\(state) is on read-only storage and could not be copied to \(folder): \(error)")
        }
        return copy
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
