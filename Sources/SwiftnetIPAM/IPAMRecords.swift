import SwiftnetAddress

/// Durable facts the IPAM is rebuilt from. They are what the store writes, one row each.

/// Why an address was handed out; decides how durably it is written and what `gc` may free.
package enum AllocationKind: String, Sendable, Codable {
    /// `RequestAddressType: com.docker.network.gateway` during network create.
    case gateway
    /// A specific address was asked for: `--aux-address`, `--ip`, `--ip6`.
    case requested
    /// Chosen by swiftnet for an endpoint.
    case dynamic
}

package struct PoolRecord: Sendable, Equatable {
    package var id: String
    package var addressSpace: String
    package var prefix: IPPrefix
    /// `--ip-range`: dynamic addresses come from here; requested ones may be anywhere in `prefix`.
    package var subPool: IPPrefix?
    /// `--ipam-opt` values as dockerd sent them.
    package var options: [String: String]

    package init(id: String, addressSpace: String, prefix: IPPrefix, subPool: IPPrefix?, options: [String: String]) {
        self.id = id
        self.addressSpace = addressSpace
        self.prefix = prefix
        self.subPool = subPool
        self.options = options
    }
}

package struct AllocationRecord: Sendable, Equatable {
    package var poolID: String
    package var address: IPAddress
    package var kind: AllocationKind
    /// The container name dockerd 29+ sends (`com.docker.network.endpoint.name`).
    package var name: String?
    /// Order of the allocations that advanced the pool's cursor. The live one with the highest
    /// sequence is where the next search starts, so the cursor needs no write of its own.
    package var sequence: Int64?

    package init(poolID: String, address: IPAddress, kind: AllocationKind, name: String? = nil, sequence: Int64? = nil) {
        self.poolID = poolID
        self.address = address
        self.kind = kind
        self.name = name
        self.sequence = sequence
    }
}

/// The last address a container name held in a pool, kept after release so that a container
/// recreated under the same name gets it back.
package struct StickyRecord: Sendable, Equatable {
    package var poolID: String
    package var name: String
    package var address: IPAddress
    /// When the name last got an address in the pool, as a count per pool: the least recently
    /// used name is the first forgotten when the pool has too many.
    package var lastUse: Int64

    package init(poolID: String, name: String, address: IPAddress, lastUse: Int64 = 0) {
        self.poolID = poolID
        self.name = name
        self.address = address
        self.lastUse = lastUse
    }
}

/// What the allocator needs of the store at start-up: which addresses are used, not who
/// uses them (kinds and names stay in the store for inspection), so that 100,000
/// allocations load in a few tens of milliseconds.
package struct IPAMSnapshot: Sendable {
    package var pools: [PoolRecord]
    /// Used addresses per pool id.
    package var used: [String: [IPAddress]]
    /// Per pool id, the live allocation with the highest sequence (see `AllocationRecord.sequence`).
    package var cursors: [String: (address: IPAddress, sequence: Int64)]
    /// In order of last use per pool, least recent first.
    package var sticky: [StickyRecord]
    /// Allocations made for a named container (a small subset), per pool id.
    package var named: [String: [(address: IPAddress, name: String)]]

    package init(pools: [PoolRecord] = [], used: [String: [IPAddress]] = [:],
                cursors: [String: (address: IPAddress, sequence: Int64)] = [:], sticky: [StickyRecord] = [],
                named: [String: [(address: IPAddress, name: String)]] = [:]) {
        self.pools = pools
        self.used = used
        self.cursors = cursors
        self.sticky = sticky
        self.named = named
    }
}
