import GRDB

/// What one server process tells the next through the state: when it started serving and
/// whether it stopped cleanly. A clean stop answered or dropped every request it had, so
/// nothing it committed can come back as a retry; after any other end, what it committed in
/// its last moments may never have been answered (see `RetryCandidates`).
extension StateStore {
    package struct PreviousServer: Sendable, Equatable {
        /// When the previous server started serving (unix seconds); nil if none recorded it.
        package var startedAt: Int?
        package var stoppedCleanly: Bool
    }

    static let servingSinceKey = "serving_since"
    static let stoppedCleanlyKey = "stopped_cleanly"

    /// Records that a server starts serving at `now` and returns what the previous one left.
    package func beginServing(at now: Int) throws -> PreviousServer {
        try write(.synced) { db in
            let started = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [StateStore.servingSinceKey])
            let stopped = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [StateStore.stoppedCleanlyKey])
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [StateStore.servingSinceKey, String(now)])
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [StateStore.stoppedCleanlyKey])
            return PreviousServer(startedAt: started.flatMap { Int($0) }, stoppedCleanly: stopped != nil)
        }
    }

    /// Called once the server answers nothing more.
    package func recordCleanStop(at now: Int) throws {
        try setMetaValue(StateStore.stoppedCleanlyKey, String(now))
        // Everything into the database file and the WAL emptied: the next start then has no
        // WAL to read back (up to `checkpointBytes` of it, tens of milliseconds). Not a
        // failure of the stop if it cannot: the next start reads the WAL instead.
        try? queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
