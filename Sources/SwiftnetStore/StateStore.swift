import Foundation
import GRDB
import SwiftnetIPAM

/// swiftnet's durable state: one SQLite file in WAL mode, shared by every driver. Each commit
/// reaches the file before the caller answers dockerd; `Durability.synced` changes are also
/// fsync'd (see `IPAMChange.durability` for which).
package final class StateStore: Sendable {
    package let path: String
    let queue: DatabaseQueue
    /// Page size of a newly created state file, in bytes.
    package static let pageSize = 1024
    /// WAL size after which a commit checkpoints: 4,000 pages of 1 KiB (1,000 of 4 KiB).
    package static let checkpointBytes = 4_096_000

    /// Opens (creating the folder with mode 0700 and the file if needed) and migrates. The
    /// database and its -wal, -shm and -journal files are mode 0600 whatever the folder's mode
    /// and the umask.
    package init(path: String, busyTimeout: Double = 5) throws {
        self.path = path
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
        try StateStore.restrictPermissions(path)
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.label = "swiftnet.state"
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            // A commit writes every page it changed to the WAL whole, and a RequestAddress
            // changes one row: 1 KiB pages write a quarter of the default 4 KiB per call
            // (`swiftnet-bench ipam` measures the commit floor at both sizes). SQLite takes
            // the size only when it creates the file; a file made with 4 KiB pages keeps them.
            try db.execute(sql: "PRAGMA page_size = \(StateStore.pageSize)")
            // NORMAL in WAL: a commit is written to the WAL before it returns (kill -9 safe);
            // fsync waits for checkpoints. Changes that must survive power loss raise it.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A checkpoint fsyncs the WAL and the database, and the commit that triggers it
            // waits for both (milliseconds on a virtual disk). Checkpointing by WAL size, as
            // large as SQLite's default (1,000 4 KiB pages), makes that stall four times rarer
            // with 1 KiB pages and keeps an older file's WAL no larger. A start after a crash
            // reads the WAL back; a clean stop empties it.
            let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? StateStore.pageSize
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(StateStore.checkpointBytes / max(512, pageSize))")
            // Exclusive: the WAL index lives in process memory and no file lock is taken per
            // transaction, which measured 15% more request pairs per second. Other processes
            // cannot read the file while a server holds it; tools ask the server instead.
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try StateStore.refuseNewerSchema(queue, path: path)
            try StateStore.migrator.migrate(queue)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY {
            throw StateStoreError.busy(path: path, holders: StateStore.processesHolding(path))
        }
    }

    static func refuseNewerSchema(_ queue: DatabaseQueue, path: String) throws {
        // A newer swiftnet's state has tables and meanings this one does not know: reading it
        // would misread it, and writing it (this one's migrations, its commits) could break it
        // for the version that made it.
        let unknown = try queue.read { db in
            try StateStore.migrator.appliedIdentifiers(db).subtracting(StateStore.migrator.migrations)
        }
        if !unknown.isEmpty {
            throw StateStoreError.newerSchema(path: path, migrations: unknown.sorted())
        }
    }

    /// Other processes with `path` open: who holds a state whose lock file was removed (the
    /// server locks the file itself too, see `locking_mode` above).
    static func processesHolding(_ path: String) -> [Int32] {
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let own = getpid()
        var holders: [Int32] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != own else { continue }
            let fds = "/proc/\(entry)/fd"
            for fd in (try? FileManager.default.contentsOfDirectory(atPath: fds)) ?? [] {
                if (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(fds)/\(fd)")) == target {
                    holders.append(pid)
                    break
                }
            }
        }
        return holders.sorted()
    }

    /// The state maps every network and container address of the host: only its owner reads
    /// it. SQLite gives the -wal, -shm and -journal files it creates the database's own mode, so
    /// the database is made (or set) 0600 before SQLite opens it; files an earlier version left
    /// with a wider mode are narrowed too.
    static func restrictPermissions(_ path: String) throws {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StateStoreError.permissions(path: path, errno: errno) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw StateStoreError.permissions(path: path, errno: errno) }
        for suffix in ["-wal", "-shm", "-journal"] where chmod(path + suffix, 0o600) != 0 && errno != ENOENT {
            throw StateStoreError.permissions(path: path + suffix, errno: errno)
        }
    }

    /// Runs `body` in one transaction at the durability asked for. BEGIN and COMMIT are
    /// cached statements run directly (`run(cached:)`): re-parsing them cost more than the
    /// insert they wrap.
    func write<T>(_ durability: Durability, _ body: (Database) throws -> T) throws -> T {
        do {
            return try writeTransaction(durability, body)
        } catch let error as DatabaseError where [.SQLITE_FULL, .SQLITE_IOERR].contains(error.resultCode) {
            // SQLite says "disk I/O error" for a write the file system refused for want of
            // space (the WAL grows by whole pages): say which it was, where one can act on it.
            if let free = StateStore.bytesAvailable(forFileAt: path), free < StateStore.fullBelowBytes {
                throw StateStoreError.full(path: path, available: free, error: "\(error.message ?? "\(error.resultCode)")")
            }
            throw error
        }
    }

    /// Free space below which a refused write is taken for a full file system: less than a
    /// WAL frame and the transaction around it.
    static let fullBelowBytes: UInt64 = 64 * 1024

    static func bytesAvailable(forFileAt path: String) -> UInt64? {
        var stats = statvfs()
        let folder = (path as NSString).deletingLastPathComponent
        guard statvfs(folder.isEmpty ? "." : folder, &stats) == 0 else { return nil }
        return UInt64(stats.f_bavail) * UInt64(stats.f_frsize)
    }

    private func writeTransaction<T>(_ durability: Durability, _ body: (Database) throws -> T) throws -> T {
        try queue.writeWithoutTransaction { db in
            let synced = durability == .synced
            if synced { try db.execute(sql: "PRAGMA synchronous = FULL") }
            defer { if synced { try? db.execute(sql: "PRAGMA synchronous = NORMAL") } }
            try db.run(cached: "BEGIN IMMEDIATE")
            do {
                let result = try body(db)
                try db.run(cached: "COMMIT")
                return result
            } catch {
                if db.isInsideTransaction { try? db.execute(sql: "ROLLBACK") }
                throw error
            }
        }
    }

    package func metaValue(_ key: String) throws -> String? {
        try queue.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    package func setMetaValue(_ key: String, _ value: String) throws {
        try write(.synced) { db in
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    /// Random id of this state, fixed when it was made.
    package func instanceID() throws -> UInt64 {
        guard let text = try metaValue("instance_id"), let value = UInt64(text, radix: 16) else {
            throw StateStoreError.corrupt("meta.instance_id is missing or not hex")
        }
        return value
    }

    /// The random id behind this host's IPv6 ULA /48, fixed when the state file was made.
    package func ulaGlobalID() throws -> UInt64 {
        guard let text = try metaValue("ula_global_id"), let value = UInt64(text, radix: 16) else {
            throw StateStoreError.corrupt("meta.ula_global_id is missing or not hex")
        }
        return value
    }
}

package enum StateStoreError: Error, CustomStringConvertible {
    case corrupt(String)
    case permissions(path: String, errno: Int32)
    case newerSchema(path: String, migrations: [String])
    case busy(path: String, holders: [Int32])
    case full(path: String, available: UInt64, error: String)

    package var description: String {
        switch self {
        case .corrupt(let what): return "state file is damaged: \(what)"
        case .permissions(let path, let errno):
            return "cannot make \(path) readable by its owner only (mode 0600): \(String(cString: strerror(errno)))"
        case .full(let path, let available, let error):
            return "the file system holding \(path) is full (\(available) bytes free; SQLite: \(error)): the change was not recorded; free some space"
        case .busy(let path, let holders):
            let who = holders.isEmpty ? "another process" : "process \(holders.map(String.init).joined(separator: ", "))"
            return "\(who) holds \(path) (SQLite: database is locked): a swiftnet server whose lock file \(path).lock was removed? "
                + "Stop it, or ask it through its --socket"
        case .newerSchema(let path, let migrations):
            return "\(path) was written by a newer swiftnet (schema \(migrations.joined(separator: ", ")), unknown to this one): "
                + "run that version, or restore a backup made for this one; this one leaves its content as it is"
        }
    }
}
