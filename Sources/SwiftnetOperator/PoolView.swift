/// One IPAM pool and how full it is.
package struct PoolView: Sendable, Equatable {
    package var id: String
    package var addressSpace: String
    package var prefix: String
    /// `--ip-range`: where dynamic addresses come from.
    package var subPool: String?
    /// Addresses handed out, gateway included. A multi-host pool counts the addresses this
    /// host claimed in etcd, not the other hosts'.
    package var allocated: Int
    /// Addresses the pool can hand out (network and broadcast addresses excluded), decimal.
    package var capacity: String
    /// The swiftnet network using the pool; nil for a pool another driver's network uses
    /// (`--ipam-driver swiftnet` with `-d bridge`) or one not yet given to a network.
    package var networkID: String?
    /// When dockerd asked for the pool (unix seconds); nil from a server older than this field,
    /// and for a multi-host pool.
    package var createdAt: Int?
    /// Within `subPool`, when there is one: addresses handed out there, and how many dynamic
    /// allocation can ever hand out (a pool is full for a container without `--ip` when these
    /// meet, however empty the rest of the subnet).
    package var rangeAllocated: Int?
    package var rangeCapacity: String?
    /// The multi-host network (`swiftnet.network`) whose pool this is: its addresses are
    /// claimed in etcd; nil for this host's own pools.
    package var multiHostNetwork: String?

    package init(id: String, addressSpace: String, prefix: String, subPool: String?, allocated: Int, capacity: String,
                networkID: String?, createdAt: Int? = nil, multiHostNetwork: String? = nil,
                rangeAllocated: Int? = nil, rangeCapacity: String? = nil) {
        self.id = id
        self.addressSpace = addressSpace
        self.prefix = prefix
        self.subPool = subPool
        self.allocated = allocated
        self.capacity = capacity
        self.networkID = networkID
        self.createdAt = createdAt
        self.multiHostNetwork = multiHostNetwork
        self.rangeAllocated = rangeAllocated
        self.rangeCapacity = rangeCapacity
    }

    /// allocated / capacity, 0 to 1 (0 for an empty capacity); within the `--ip-range` when
    /// there is one, since that is what fills up.
    package var utilisation: Double {
        let (used, of) = rangeAllocated.map { ($0, rangeCapacity ?? "") } ?? (allocated, capacity)
        guard let total = Double(of), total > 0 else { return 0 }
        return Double(used) / total
    }
}
