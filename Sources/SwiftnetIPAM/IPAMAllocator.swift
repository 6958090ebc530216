/// The whole IPAM in memory. Every operation is split in two: `plan…` decides (and throws on
/// bad input) without changing anything; `apply` performs a planned change. Pure: no I/O.
public struct IPAMAllocator: Sendable {
    public let configuration: IPAMConfiguration
    private(set) var pools: [String: AddressPool] = [:]

    public init(configuration: IPAMConfiguration) {
        self.configuration = configuration
    }

    /// Rebuilds the state a store holds.
    public init(configuration: IPAMConfiguration, snapshot: IPAMSnapshot) {
        self.configuration = configuration
        for record in snapshot.pools {
            var pool = AddressPool(record: record)
            pool.restore(used: snapshot.used[record.id] ?? [], cursor: snapshot.cursors[record.id])
            for held in snapshot.named[record.id] ?? [] { pool.hold(held.address, name: held.name) }
            pools[record.id] = pool
        }
        for entry in snapshot.sticky {
            pools[entry.poolID]?.restoreSticky(name: entry.name, address: entry.address)
        }
    }

    public mutating func apply(_ change: IPAMChange) {
        switch change {
        case .createPool(let record):
            pools[record.id] = AddressPool(record: record)
        case .releasePool(let id):
            pools.removeValue(forKey: id)
        case .allocate(let record, let remember):
            pools[record.poolID]?.apply(record, remember: remember)
        case .release(let id, let address):
            pools[id]?.applyRelease(address)
        }
    }

    // MARK: queries

    public var poolIDs: [String] { pools.keys.sorted() }

    public func pool(_ id: String) -> PoolRecord? { pools[id]?.record }

    public func usage(ofPool id: String) -> (allocated: Int, capacity: UInt128)? {
        pools[id].map { ($0.allocatedCount, $0.capacity) }
    }

    /// The container name an address was handed out for (dockerd 29+ sends it), if any.
    public func holderName(poolID: String, address: IPAddress) -> String? {
        pools[poolID]?.holderName(of: address)
    }

    public func stickyAddress(poolID: String, name: String) -> IPAddress? {
        pools[poolID]?.stickyAddress(for: name)
    }
}
