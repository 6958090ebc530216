import SwiftnetAddress

/// The whole IPAM in memory. Every operation is split in two: `plan…` decides (and throws on
/// bad input) without changing anything; `apply` performs a planned change. Pure: no I/O.
package struct IPAMAllocator: Sendable {
    package let configuration: IPAMConfiguration
    private(set) var pools: [String: AddressPool] = [:]
    /// The pools' prefixes by family, kept with `pools`, for automatic pool choice.
    private(set) var poolSpans: [IPFamily: PoolSpans] = [:]

    package init(configuration: IPAMConfiguration) {
        self.configuration = configuration
    }

    /// Rebuilds the state a store holds.
    package init(configuration: IPAMConfiguration, snapshot: IPAMSnapshot) {
        self = IPAMAllocator.restoring(configuration: configuration, snapshot: snapshot).allocator
    }

    /// Rebuilds the state a store holds, and says which stored sticky names the bounds left
    /// out (a table written before them): the caller deletes those from the store.
    package static func restoring(configuration: IPAMConfiguration,
                                 snapshot: IPAMSnapshot) -> (allocator: IPAMAllocator, forgotten: [StickyRecord]) {
        var allocator = IPAMAllocator(configuration: configuration)
        for record in snapshot.pools {
            var pool = AddressPool(record: record, stickyCapacity: configuration.stickyNamesPerPool)
            pool.restore(used: snapshot.used[record.id] ?? [], cursor: snapshot.cursors[record.id])
            for held in snapshot.named[record.id] ?? [] { pool.hold(held.address, name: held.name) }
            allocator.pools[record.id] = pool
            allocator.poolSpans[record.prefix.family, default: PoolSpans()].insert(record.prefix.span)
        }
        var forgotten: [StickyRecord] = []
        for (poolID, entries) in Dictionary(grouping: snapshot.sticky, by: \.poolID) {
            guard var pool = allocator.pools[poolID] else { continue }
            // Least recent first; among equals (rows from before uses were counted) the name
            // that holds its address now goes last, so it is the one kept for that address.
            let ordered = entries.enumerated().map { offset, entry in
                (key: (entry.lastUse, pool.holderName(of: entry.address) == entry.name ? 1 : 0, offset), entry: entry)
            }.sorted { $0.key < $1.key }
            for (_, entry) in ordered {
                forgotten += pool.restoreSticky(entry).map { StickyRecord(poolID: poolID, name: $0, address: entry.address) }
            }
            allocator.pools[poolID] = pool
        }
        return (allocator, forgotten)
    }

    package mutating func apply(_ change: IPAMChange) {
        switch change {
        case .createPool(let record):
            if let replaced = pools[record.id] { poolSpans[replaced.prefix.family]?.remove(replaced.prefix.span) }
            pools[record.id] = AddressPool(record: record, stickyCapacity: configuration.stickyNamesPerPool)
            poolSpans[record.prefix.family, default: PoolSpans()].insert(record.prefix.span)
        case .releasePool(let id):
            if let released = pools.removeValue(forKey: id) { poolSpans[released.prefix.family]?.remove(released.prefix.span) }
        case .allocate(let record, let sticky):
            pools[record.poolID]?.apply(record, sticky: sticky)
        case .release(let id, let address):
            pools[id]?.applyRelease(address)
        case .forgetSticky:
            // Made at start-up from what `restoring` already left out of memory.
            break
        }
    }

    // MARK: queries

    package var poolIDs: [String] { pools.keys.sorted() }

    /// How many pools have exactly `prefix` (pools of two address spaces or scopes may).
    package func poolCount(withPrefix prefix: IPPrefix) -> Int {
        poolSpans[prefix.family]?.count(of: prefix.span) ?? 0
    }

    package func pool(_ id: String) -> PoolRecord? { pools[id]?.record }

    package func usage(ofPool id: String) -> (allocated: Int, capacity: UInt128)? {
        pools[id].map { ($0.allocatedCount, $0.capacity) }
    }

    /// The same within the pool's `--ip-range`, where dynamic addresses come from; nil for a
    /// pool without one.
    package func rangeUsage(ofPool id: String) -> (allocated: Int, capacity: UInt128)? {
        guard let pool = pools[id], pool.record.subPool != nil else { return nil }
        return (pool.rangeAllocatedCount, pool.rangeCapacity)
    }

    /// The container name an address was handed out for (dockerd 29+ sends it), if any.
    package func holderName(poolID: String, address: IPAddress) -> String? {
        pools[poolID]?.holderName(of: address)
    }

    package func stickyAddress(poolID: String, name: String) -> IPAddress? {
        pools[poolID]?.stickyAddress(for: name)
    }

    /// How many sticky names the pool remembers (at most `configuration.stickyNamesPerPool`).
    package func stickyCount(poolID: String) -> Int? {
        pools[poolID]?.sticky.count
    }
}
