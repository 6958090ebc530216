/// One state transition of the IPAM. The allocator plans a change without touching its state,
/// the store commits it, and only then does the allocator apply it: memory never runs ahead
/// of disk, and a failed commit needs no undo.
public enum IPAMChange: Sendable, Equatable {
    case createPool(PoolRecord)
    /// Drops the pool with its allocations and sticky names.
    case releasePool(poolID: String)
    /// `remember` is set when the record's name must be stored as sticky for its address
    /// (not when the name already maps to it, which saves a write per recreated container).
    case allocate(AllocationRecord, remember: Bool)
    case release(poolID: String, address: IPAddress)

    /// How hard the store must work to keep this change.
    public var durability: Durability {
        switch self {
        case .createPool, .releasePool:
            return .synced
        case .allocate(let record, _):
            // Gateways and aux addresses belong to the network, which must survive a power cut;
            // an endpoint's address dies with its container at reboot anyway.
            return record.kind == .dynamic ? .processCrashSafe : .synced
        case .release:
            return .processCrashSafe
        }
    }
}

public enum Durability: Sendable {
    /// Committed to the file (survives kill -9), fsync deferred to the next checkpoint.
    case processCrashSafe
    /// fsync'd before the answer (survives a power cut).
    case synced
}
