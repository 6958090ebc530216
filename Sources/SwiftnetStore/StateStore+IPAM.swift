import Foundation
import GRDB
import SwiftnetIPAM

extension StateStore: IPAMStore {
    public func loadIPAM() throws -> IPAMSnapshot {
        try queue.read { db in
            var snapshot = IPAMSnapshot()
            let pools = try Row.fetchCursor(db, sql: "SELECT id, address_space, prefix, sub_pool, options, cursor FROM pool")
            while let row = try pools.next() {
                let id: String = row[0]
                guard let prefix = IPPrefix(row[2] as String) else { throw StateStoreError.corrupt("pool \(id) prefix") }
                let subPool = (row[3] as String?).flatMap { IPPrefix($0) }
                let optionsText: String = row[4]
                let options = (try? JSONDecoder().decode([String: String].self, from: Data(optionsText.utf8))) ?? [:]
                snapshot.pools.append(PoolRecord(id: id, addressSpace: row[1], prefix: prefix, subPool: subPool,
                                                 options: options, cursor: (row[5] as String?).flatMap { IPAddress($0) }))
            }
            let allocations = try Row.fetchCursor(db, sql: "SELECT pool_id, address, kind, name FROM allocation")
            snapshot.allocations.reserveCapacity(try Int.fetchOne(db, sql: "SELECT count(*) FROM allocation") ?? 0)
            while let row = try allocations.next() {
                guard let address = IPAddress(row[1] as String) else {
                    throw StateStoreError.corrupt("allocation \(row[1] as String) in pool \(row[0] as String)")
                }
                let kind = AllocationKind(rawValue: row[2]) ?? .dynamic
                snapshot.allocations.append(AllocationRecord(poolID: row[0], address: address, kind: kind, name: row[3]))
            }
            let sticky = try Row.fetchCursor(db, sql: "SELECT pool_id, name, address FROM sticky")
            while let row = try sticky.next() {
                guard let address = IPAddress(row[2] as String) else { continue }
                snapshot.sticky.append(StickyRecord(poolID: row[0], name: row[1], address: address))
            }
            return snapshot
        }
    }

    public func commit(_ change: IPAMChange) throws {
        try write(change.durability) { db in
            switch change {
            case .createPool(let record):
                let options = String(decoding: try JSONEncoder().encode(record.options), as: UTF8.self)
                try db.execute(sql: """
                    INSERT INTO pool (id, address_space, prefix, sub_pool, options, cursor) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [record.id, record.addressSpace, record.prefix.description,
                                     record.subPool?.description, options, record.cursor?.description])
            case .releasePool(let id):
                // Cascades to the pool's allocations and sticky names.
                try db.cachedStatement(sql: "DELETE FROM pool WHERE id = ?").execute(arguments: [id])
            case .allocate(let record, let cursor):
                try db.cachedStatement(sql: "INSERT INTO allocation (pool_id, address, kind, name) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [record.poolID, record.address.description, record.kind.rawValue, record.name])
                if let cursor {
                    try db.cachedStatement(sql: "UPDATE pool SET cursor = ? WHERE id = ?")
                        .execute(arguments: [cursor.description, record.poolID])
                }
                if let name = record.name {
                    try db.cachedStatement(sql: "INSERT OR REPLACE INTO sticky (pool_id, name, address) VALUES (?, ?, ?)")
                        .execute(arguments: [record.poolID, name, record.address.description])
                }
            case .release(let poolID, let address):
                try db.cachedStatement(sql: "DELETE FROM allocation WHERE pool_id = ? AND address = ?")
                    .execute(arguments: [poolID, address.description])
            }
        }
    }
}
