/// Durable facts the IPAM is rebuilt from. They are what the store writes, one row each.

/// Why an address was handed out; decides how durably it is written and what `gc` may free.
public enum AllocationKind: String, Sendable, Codable {
    /// `RequestAddressType: com.docker.network.gateway` during network create.
    case gateway
    /// A specific address was asked for: `--aux-address`, `--ip`, `--ip6`.
    case requested
    /// Chosen by swiftnet for an endpoint.
    case dynamic
}

public struct PoolRecord: Sendable, Equatable {
    public var id: String
    public var addressSpace: String
    public var prefix: IPPrefix
    /// `--ip-range`: dynamic addresses come from here; requested ones may be anywhere in `prefix`.
    public var subPool: IPPrefix?
    /// `--ipam-opt` values as dockerd sent them.
    public var options: [String: String]
    /// The last address handed out dynamically; the next search starts after it.
    public var cursor: IPAddress?

    public init(id: String, addressSpace: String, prefix: IPPrefix, subPool: IPPrefix?,
                options: [String: String], cursor: IPAddress? = nil) {
        self.id = id
        self.addressSpace = addressSpace
        self.prefix = prefix
        self.subPool = subPool
        self.options = options
        self.cursor = cursor
    }
}

public struct AllocationRecord: Sendable, Equatable {
    public var poolID: String
    public var address: IPAddress
    public var kind: AllocationKind
    /// The container name dockerd 29+ sends (`com.docker.network.endpoint.name`).
    public var name: String?

    public init(poolID: String, address: IPAddress, kind: AllocationKind, name: String? = nil) {
        self.poolID = poolID
        self.address = address
        self.kind = kind
        self.name = name
    }
}

/// The last address a container name held in a pool, kept after release so that a container
/// recreated under the same name gets it back.
public struct StickyRecord: Sendable, Equatable {
    public var poolID: String
    public var name: String
    public var address: IPAddress

    public init(poolID: String, name: String, address: IPAddress) {
        self.poolID = poolID
        self.name = name
        self.address = address
    }
}

/// Everything the store holds for the IPAM, loaded once at start-up.
public struct IPAMSnapshot: Sendable {
    public var pools: [PoolRecord]
    public var allocations: [AllocationRecord]
    public var sticky: [StickyRecord]

    public init(pools: [PoolRecord] = [], allocations: [AllocationRecord] = [], sticky: [StickyRecord] = []) {
        self.pools = pools
        self.allocations = allocations
        self.sticky = sticky
    }
}
