import SwiftnetAddress
import SwiftnetIPAM
import SwiftnetNetworkModel

/// An address in a swiftnet network's pool that no endpoint holds (dynamic, or a named
/// container's `--ip`; see `StateStore.collectable`): dockerd asked for
/// it, swiftnet committed it, and the answer never arrived (swiftnet died in between), so
/// dockerd neither used nor released it.
package struct LeakedAddress: Sendable, Equatable {
    package var poolID: String
    package var address: IPAddress
    package var networkID: String

    package init(poolID: String, address: IPAddress, networkID: String) {
        self.poolID = poolID
        self.address = address
        self.networkID = networkID
    }

    /// `collectable` must hold only allocations old enough that no call can still be on its way
    /// to claim them (the caller filters by age). Pools of other drivers' networks
    /// (`--ipam-driver swiftnet -d bridge`) have no endpoints here and are never considered.
    package static func find(collectable: [(poolID: String, address: IPAddress)], pools: [PoolRecord],
                            networks: [NetworkRecord], endpoints: [EndpointRecord]) -> [LeakedAddress] {
        // swiftnet is a local-scope driver: dockerd takes its networks' pools from the local
        // space. A global pool with the same prefix belongs to some other network.
        let prefixes = Dictionary(pools.filter { $0.addressSpace == IPAMConfiguration.localSpace }.map { ($0.id, $0.prefix) },
                                  uniquingKeysWith: { first, _ in first })
        var held: [String: Set<IPAddress>] = [:]
        for endpoint in endpoints {
            for address in [endpoint.address, endpoint.addressIPv6].compactMap({ $0?.address }) {
                held[endpoint.networkID, default: []].insert(address)
            }
        }
        var leaked: [LeakedAddress] = []
        for allocation in collectable {
            guard let prefix = prefixes[allocation.poolID],
                  let network = networks.first(where: { $0.state == .ready && $0.subnets.contains { $0.pool == prefix } }),
                  held[network.id]?.contains(allocation.address) != true
            else { continue }
            leaked.append(LeakedAddress(poolID: allocation.poolID, address: allocation.address, networkID: network.id))
        }
        return leaked.sorted { ($0.poolID, $0.address) < ($1.poolID, $1.address) }
    }
}
