import Foundation
import GRDB
import SwiftnetAddress

/// A multi-host pool this host's dockerd asked for: the logical network as etcd has it.
package struct MultiHostPoolRecord: Sendable, Equatable {
    package var poolID: String
    package var network: String
    package var subnet: IPPrefix
    package var gateway: IPAddress
    package var vni: UInt32

    package init(poolID: String, network: String, subnet: IPPrefix, gateway: IPAddress, vni: UInt32) {
        self.poolID = poolID
        self.network = network
        self.subnet = subnet
        self.gateway = gateway
        self.vni = vni
    }
}

/// One address claim of this host in etcd: recorded (address nil) before the claim is made,
/// completed with the address once etcd has it.
package struct MultiHostClaimRecord: Sendable, Equatable {
    package var owner: String
    package var network: String
    package var address: IPAddress?
    /// The container's name when dockerd sent it (`com.docker.network.endpoint.name`).
    package var name: String?
    /// Asked for by value (`--aux-address`, `--ip`), not chosen by swiftnet.
    package var byValue: Bool
    package var createdAt: Int

    package init(owner: String, network: String, address: IPAddress?, name: String?, byValue: Bool = false, createdAt: Int) {
        self.owner = owner
        self.network = network
        self.address = address
        self.name = name
        self.byValue = byValue
        self.createdAt = createdAt
    }
}

extension StateStore {
    package func putMultiHostPool(_ pool: MultiHostPoolRecord) throws {
        try write(.processCrashSafe) { db in
            try db.execute(sql: """
                INSERT INTO mh_pool (pool_id, network, subnet, gateway, vni) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(pool_id) DO UPDATE SET network = excluded.network, subnet = excluded.subnet,
                gateway = excluded.gateway, vni = excluded.vni
                """, arguments: [pool.poolID, pool.network, pool.subnet.description, pool.gateway.description, Int64(pool.vni)])
        }
    }

    package func deleteMultiHostPool(_ poolID: String) throws {
        try write(.processCrashSafe) { db in try db.execute(sql: "DELETE FROM mh_pool WHERE pool_id = ?", arguments: [poolID]) }
    }

    package func multiHostPools() throws -> [MultiHostPoolRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM mh_pool ORDER BY pool_id").compactMap { row in
                guard let subnet = IPPrefix(row["subnet"] as String), let gateway = IPAddress(row["gateway"] as String) else { return nil }
                return MultiHostPoolRecord(poolID: row["pool_id"], network: row["network"], subnet: subnet, gateway: gateway,
                                           vni: UInt32(clamping: row["vni"] as Int64))
            }
        }
    }

    /// The claim about to be made (before etcd sees it).
    package func beginMultiHostClaim(owner: String, network: String, name: String?, byValue: Bool, at now: Int) throws {
        try write(.processCrashSafe) { db in
            try db.execute(sql: "INSERT INTO mh_claim (owner, network, address, name, by_value, created_at) VALUES (?, ?, NULL, ?, ?, ?)",
                           arguments: [owner, network, name, byValue, now])
        }
    }

    /// The claim etcd now holds.
    package func completeMultiHostClaim(owner: String, address: IPAddress) throws {
        try write(.processCrashSafe) { db in
            try db.execute(sql: "UPDATE mh_claim SET address = ? WHERE owner = ?", arguments: [address.description, owner])
        }
    }

    package func deleteMultiHostClaims(owners: [String]) throws {
        guard !owners.isEmpty else { return }
        try write(.processCrashSafe) { db in
            for owner in owners { try db.execute(sql: "DELETE FROM mh_claim WHERE owner = ?", arguments: [owner]) }
        }
    }

    package func multiHostClaims() throws -> [MultiHostClaimRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM mh_claim ORDER BY created_at, owner").map { row in
                MultiHostClaimRecord(owner: row["owner"], network: row["network"],
                                     address: (row["address"] as String?).flatMap { IPAddress($0) },
                                     name: row["name"], byValue: row["by_value"], createdAt: row["created_at"])
            }
        }
    }

    /// The completed claims of `address` in `network` (one, unless something is wrong).
    package func multiHostClaims(network: String, address: IPAddress) throws -> [MultiHostClaimRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM mh_claim WHERE network = ? AND address = ?",
                             arguments: [network, address.description]).map { row in
                MultiHostClaimRecord(owner: row["owner"], network: row["network"], address: address,
                                     name: row["name"], byValue: row["by_value"], createdAt: row["created_at"])
            }
        }
    }
}
