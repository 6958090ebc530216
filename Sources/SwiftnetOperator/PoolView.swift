/// One IPAM pool and how full it is.
package struct PoolView: Sendable, Equatable {
    package var id: String
    package var addressSpace: String
    package var prefix: String
    /// `--ip-range`: where dynamic addresses come from.
    package var subPool: String?
    /// Addresses handed out, gateway included.
    package var allocated: Int
    /// Addresses the pool can hand out (network and broadcast addresses excluded), decimal.
    package var capacity: String
    /// The swiftnet network using the pool; nil for a pool another driver's network uses
    /// (`--ipam-driver swiftnet` with `-d bridge`) or one not yet given to a network.
    package var networkID: String?
    /// When dockerd asked for the pool (unix seconds); nil from a server older than this field.
    package var createdAt: Int?

    package init(id: String, addressSpace: String, prefix: String, subPool: String?, allocated: Int, capacity: String,
                networkID: String?, createdAt: Int? = nil) {
        self.id = id
        self.addressSpace = addressSpace
        self.prefix = prefix
        self.subPool = subPool
        self.allocated = allocated
        self.capacity = capacity
        self.networkID = networkID
        self.createdAt = createdAt
    }

    /// allocated / capacity, 0 to 1 (0 for an empty capacity).
    package var utilisation: Double {
        guard let total = Double(capacity), total > 0 else { return 0 }
        return Double(allocated) / total
    }
}
