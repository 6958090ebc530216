import SwiftnetAddress

/// One state transition of the IPAM. The allocator plans a change without touching its state,
/// the store commits it, and only then does the allocator apply it: memory never runs ahead
/// of disk, and a failed commit needs no undo.
package enum IPAMChange: Sendable, Equatable {
    case createPool(PoolRecord)
    /// Drops the pool with its allocations and sticky names.
    case releasePool(poolID: String)
    /// `sticky`: for a named container in a sticky pool, the name's entry and the names it
    /// pushes out (see `StickyNames`), written in the same transaction.
    case allocate(AllocationRecord, sticky: StickyUpdate?)
    case release(poolID: String, address: IPAddress)
    /// Sticky names dropped at start-up to bring a table written before the bounds within them.
    case forgetSticky([StickyRecord])

    /// How hard the store must work to keep this change.
    package var durability: Durability {
        switch self {
        case .createPool, .releasePool:
            return .synced
        case .allocate(let record, _):
            // Gateways and aux addresses belong to the network, which must survive a power cut;
            // an endpoint's address dies with its container at reboot anyway.
            return record.kind == .dynamic ? .processCrashSafe : .synced
        case .release, .forgetSticky:
            return .processCrashSafe
        }
    }
}

package enum Durability: Sendable {
    /// Committed to the file (survives kill -9), fsync deferred to the next checkpoint.
    case processCrashSafe
    /// fsync'd before the answer (survives a power cut).
    case synced
}
