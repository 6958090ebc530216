import Synchronization
import SwiftnetCrashPoints

/// The IPAM driver's engine: the allocator behind a lock, with every change committed to the
/// store before it is applied in memory and before the caller answers dockerd.
public final class IPAMService: Sendable {
    private let state: Mutex<IPAMAllocator>
    private let store: any IPAMStore
    private let routes: any HostRouteSource

    /// Loads the store's snapshot into a new allocator.
    public init(configuration: IPAMConfiguration, store: any IPAMStore, routes: any HostRouteSource) throws {
        let snapshot = try store.loadIPAM()
        self.state = Mutex(IPAMAllocator(configuration: configuration, snapshot: snapshot))
        self.store = store
        self.routes = routes
    }

    /// Returns the new pool. An identical second request is refused like any overlap: a
    /// RequestPool carries no network identity, so a replay cannot be told from a second network.
    public func requestPool(_ request: IPAMAllocator.PoolRequest) throws -> PoolRecord {
        try state.withLock { allocator in
            if let existing = allocator.poolOfRepeatedRequest(request) { return existing }
            let record = try allocator.planRequestPool(request, hostRoutes: { try routes.routes(family: request.v6 ? .v6 : .v4) })
            let change = IPAMChange.createPool(record)
            try store.commit(change)
            CrashPoint.reach("ipam.RequestPool.committed")
            allocator.apply(change)
            return record
        }
    }

    /// Returns false when there was no such pool (the caller logs it).
    @discardableResult
    public func releasePool(_ id: String) throws -> Bool {
        try state.withLock { allocator in
            guard let change = allocator.planReleasePool(id) else { return false }
            try store.commit(change)
            CrashPoint.reach("ipam.ReleasePool.committed")
            allocator.apply(change)
            return true
        }
    }

    /// Returns the address with the pool's prefix length, e.g. `172.18.0.2/16`.
    public func requestAddress(_ request: IPAMAllocator.AddressRequest) throws -> (address: IPAddress, cidr: String) {
        try state.withLock { allocator in
            if let held = allocator.addressAlreadyHeld(request), let pool = allocator.pool(request.poolID) {
                // Handed out again now: `gc` must not take it for an old address nobody holds.
                try store.refreshAllocationTime(poolID: pool.id, address: held)
                return (held, pool.prefix.cidr(for: held))
            }
            let change = try allocator.planRequestAddress(request)
            guard case .allocate(let record, _) = change, let pool = allocator.pool(record.poolID) else {
                preconditionFailure("planRequestAddress returns an allocation in a known pool")
            }
            try store.commit(change)
            CrashPoint.reach("ipam.RequestAddress.committed")
            allocator.apply(change)
            return (record.address, pool.prefix.cidr(for: record.address))
        }
    }

    public func releaseAddress(poolID: String, address: String) throws -> IPAMAllocator.ReleasePlan {
        try state.withLock { allocator in
            let plan = try allocator.planReleaseAddress(poolID: poolID, address: address)
            if case .release(let change) = plan {
                try store.commit(change)
                CrashPoint.reach("ipam.ReleaseAddress.committed")
                allocator.apply(change)
            }
            return plan
        }
    }

    /// Frees `address` in whichever pool of `subnet` holds it (an endpoint swiftnet found
    /// stale at start-up); returns false when none did. Gateways are never passed here.
    @discardableResult
    public func release(address: IPAddress, inSubnet subnet: IPPrefix) throws -> Bool {
        try state.withLock { allocator in
            // The local space first: that is where dockerd takes a local-scope driver's pools.
            let ids = allocator.poolIDs.sorted { (allocator.pool($0)?.addressSpace != IPAMConfiguration.localSpace ? 1 : 0, $0)
                                                < (allocator.pool($1)?.addressSpace != IPAMConfiguration.localSpace ? 1 : 0, $1) }
            for id in ids {
                guard let pool = allocator.pool(id), pool.prefix == subnet,
                      case .release(let change) = try allocator.planReleaseAddress(poolID: id, address: address.description)
                else { continue }
                try store.commit(change)
                allocator.apply(change)
                return true
            }
            return false
        }
    }

    /// Releases a dynamic address no endpoint holds (`gc`), only if the store still has the
    /// allocation from before `cutoff`: one released and handed out again meanwhile stays.
    public func releaseLeaked(poolID: String, address: IPAddress, allocatedBefore cutoff: Int) throws -> Bool {
        try state.withLock { allocator in
            guard case .release(let change) = try allocator.planReleaseAddress(poolID: poolID, address: address.description),
                  try store.releaseDynamic(poolID: poolID, address: address, ifAllocatedBefore: cutoff)
            else { return false }
            allocator.apply(change)
            return true
        }
    }

    /// A consistent copy of the allocator for read-only questions (inspect, metrics, tests).
    public func snapshot() -> IPAMAllocator {
        state.withLock { $0 }
    }
}
