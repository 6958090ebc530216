import Foundation
import GRDB
import SwiftnetAddress
import SwiftnetIPAM

extension StateStore: IPAMStore {
    package func loadIPAM() throws -> IPAMSnapshot {
        try queue.read { db in
            var snapshot = IPAMSnapshot()
            let pools = try Row.fetchCursor(db, sql: "SELECT id, address_space, prefix, sub_pool, options FROM pool")
            while let row = try pools.next() {
                let id: String = row[0]
                guard let prefix = IPPrefix(row[2] as String) else { throw StateStoreError.corrupt("pool \(id) prefix") }
                let subPool = (row[3] as String?).flatMap { IPPrefix($0) }
                let optionsText: String = row[4]
                let options = StateStore.decodeStringMap(optionsText)
                snapshot.pools.append(PoolRecord(id: id, addressSpace: row[1], prefix: prefix, subPool: subPool,
                                                 options: options))
            }
            // One range scan of the primary key per pool, which also finds the pool's cursor
            // (the allocation with the highest sequence) and its named allocations: separate
            // queries for those scanned all allocations twice more (a quarter of the state
            // load with 100,000 of them). Addresses are parsed from SQLite's bytes in place,
            // without a String or Data each.
            for pool in snapshot.pools {
                var used: [IPAddress] = []
                var cursor: (address: IPAddress, sequence: Int64)?
                var named: [(address: IPAddress, name: String)] = []
                try db.forEachRow(cached: "SELECT address, sequence, name FROM allocation WHERE pool_id = ?", .text(pool.id)) { row in
                    guard let address = row.withText(0, { $0.flatMap(IPAddress.init(utf8:)) }) else {
                        throw StateStoreError.corrupt("an address in pool \(pool.id)")
                    }
                    used.append(address)
                    if let sequence = row.integer(1), cursor.map({ sequence > $0.sequence }) ?? true { cursor = (address, sequence) }
                    if let name = row.text(2) { named.append((address, name)) }
                }
                snapshot.used[pool.id] = used
                if let cursor { snapshot.cursors[pool.id] = cursor }
                if !named.isEmpty { snapshot.named[pool.id] = named }
            }
            let sticky = try Row.fetchCursor(db, sql: "SELECT pool_id, name, address, last_use FROM sticky ORDER BY pool_id, last_use")
            while let row = try sticky.next() {
                guard let address = IPAddress(row[2] as String) else { continue }
                snapshot.sticky.append(StickyRecord(poolID: row[0], name: row[1], address: address, lastUse: row[3]))
            }
            return snapshot
        }
    }

    package func commit(_ change: IPAMChange) throws {
        try write(change.durability) { db in try StateStore.write(change, in: db) }
    }

    /// All in one transaction, fsync'd if any of them asks for it.
    package func commit(_ changes: [IPAMChange]) throws {
        guard !changes.isEmpty else { return }
        let durability: Durability = changes.contains { $0.durability == .synced } ? .synced : .processCrashSafe
        try write(durability) { db in
            for change in changes { try StateStore.write(change, in: db) }
        }
    }

    private static func write(_ change: IPAMChange, in db: Database) throws {
        switch change {
        case .createPool(let record):
            let options = StateStore.encodeStringMap(record.options)
            try db.execute(sql: """
                INSERT INTO pool (id, address_space, prefix, sub_pool, options) VALUES (?, ?, ?, ?, ?)
                """, arguments: [record.id, record.addressSpace, record.prefix.description,
                                 record.subPool?.description, options])
        case .releasePool(let id):
            // Cascades to the pool's allocations and sticky names.
            try db.cachedStatement(sql: "DELETE FROM pool WHERE id = ?").execute(arguments: [id])
        case .allocate(let record, let sticky):
            // The statements of every container start and stop run directly (`run(cached:)`).
            try db.run(cached: "INSERT INTO allocation (pool_id, address, kind, name, sequence, allocated_at) VALUES (?, ?, ?, ?, ?, ?)",
                       .text(record.poolID), .text(record.address.description), .text(record.kind.rawValue),
                       DirectArgument(record.name), DirectArgument(record.sequence), .integer(Int64(time(nil))))
            if let sticky {
                // The names it pushes out go in the same transaction: the table on disk
                // never holds more than the bounds allow.
                for name in sticky.forget {
                    try db.run(cached: "DELETE FROM sticky WHERE pool_id = ? AND name = ?", .text(record.poolID), .text(name))
                }
                let entry = sticky.remember
                try db.run(cached: "INSERT OR REPLACE INTO sticky (pool_id, name, address, last_use) VALUES (?, ?, ?, ?)",
                           .text(entry.poolID), .text(entry.name), .text(entry.address.description), .integer(entry.lastUse))
            }
        case .release(let poolID, let address):
            try db.run(cached: "DELETE FROM allocation WHERE pool_id = ? AND address = ?", .text(poolID), .text(address.description))
        case .forgetSticky(let entries):
            for entry in entries {
                try db.run(cached: "DELETE FROM sticky WHERE pool_id = ? AND name = ?", .text(entry.poolID), .text(entry.name))
            }
        }
    }
}

extension StateStore {
    /// What `gc` may free when no endpoint holds it: dynamic allocations, and addresses asked
    /// for by value under a container's name (Docker 29's `--ip`). Gateways and unnamed ones
    /// (`--aux-address`, and Docker ≤ 28's `--ip`, which it sends unnamed) never.
    static let collectable = "(kind = 'dynamic' OR (kind = 'requested' AND name IS NOT NULL))"

    package func releaseCollectable(poolID: String, address: IPAddress, ifAllocatedBefore cutoff: Int) throws -> Bool {
        try write(.processCrashSafe) { db in
            try db.execute(sql: """
                DELETE FROM allocation
                WHERE pool_id = ? AND address = ? AND \(StateStore.collectable) AND (allocated_at IS NULL OR allocated_at < ?)
                """, arguments: [poolID, address.description, cutoff])
            return db.changesCount > 0
        }
    }

    package func refreshAllocationTime(poolID: String, address: IPAddress) throws {
        try write(.processCrashSafe) { db in
            try db.execute(sql: "UPDATE allocation SET allocated_at = ? WHERE pool_id = ? AND address = ?",
                           arguments: [time(nil), poolID, address.description])
        }
    }

    package func loadRetryCandidates(since: Int) throws -> RetryCandidates {
        try queue.read { db in
            var addresses: [RetryCandidates.Address] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT pool_id, name, address, allocated_at FROM allocation
                WHERE name IS NOT NULL AND kind IN ('dynamic', 'requested') AND allocated_at >= ?
                ORDER BY allocated_at, sequence
                """, arguments: [since])
            while let row = try rows.next() {
                guard let address = IPAddress(row[2] as String) else { continue }
                addresses.append(RetryCandidates.Address(poolID: row[0], name: row[1], address: address, committedAt: row[3]))
            }
            var pools: [(id: String, createdAt: Int)] = []
            let created = try Row.fetchCursor(db, sql: """
                SELECT id, CAST(strftime('%s', created_at) AS INTEGER) AS created FROM pool WHERE created >= ?
                """, arguments: [since])
            while let row = try created.next() { pools.append((row[0], row[1])) }
            return RetryCandidates(addresses: addresses, pools: pools)
        }
    }

    /// Collectable allocations (see `collectable`) of `pools` handed out before `cutoff` (unix
    /// seconds), or before allocation times were recorded: what `gc` may free when no endpoint holds them.
    package func collectableAllocations(inPools pools: [String], allocatedBefore cutoff: Int) throws -> [(poolID: String, address: IPAddress)] {
        try queue.read { db in
            var result: [(poolID: String, address: IPAddress)] = []
            let statement = try db.cachedStatement(sql: """
                SELECT address FROM allocation
                WHERE pool_id = ? AND \(StateStore.collectable) AND (allocated_at IS NULL OR allocated_at < ?)
                """)
            for pool in pools {
                let rows = try Row.fetchCursor(statement, arguments: [pool, cutoff])
                while let row = try rows.next() {
                    if let address = IPAddress(row[0] as String) { result.append((pool, address)) }
                }
            }
            return result
        }
    }

    /// Inserts `count` dynamic allocations after `first` in one transaction per 10,000 rows.
    /// For benchmarks and tests that need a large state quickly; the server never calls it.
    package func bulkInsertAllocations(poolID: String, first: IPAddress, count: Int) throws {
        var next = 1
        while next <= count {
            let upper = min(count, next + 9_999)
            try queue.write { db in
                let insert = try db.makeStatement(sql: "INSERT INTO allocation (pool_id, address, kind) VALUES (?, ?, 'dynamic')")
                for ordinal in next...upper {
                    let address = IPAddress(family: first.family, value: first.value + UInt128(ordinal))
                    try insert.execute(arguments: [poolID, address.description])
                }
            }
            next = upper + 1
        }
    }
}
