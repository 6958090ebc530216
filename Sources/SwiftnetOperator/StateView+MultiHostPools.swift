import SwiftnetAddress

extension StateView {
    /// A multi-host pool this host's dockerd asked for, as the state file records it, and how
    /// many addresses this host claimed in it.
    package struct MultiHostPool: Sendable, Equatable {
        package var poolID: String
        package var network: String
        package var subnet: IPPrefix
        package var claimed: Int

        package init(poolID: String, network: String, subnet: IPPrefix, claimed: Int) {
            self.poolID = poolID
            self.network = network
            self.subnet = subnet
            self.claimed = claimed
        }
    }

    /// Adds the multi-host pools beside this host's own, and names them as the pools of the
    /// swiftnet networks with their subnet and `swiftnet.network` (which the view built from
    /// the IPAM alone shows as "not swiftnet's").
    package mutating func addMultiHostPools(_ multiHostPools: [MultiHostPool]) {
        for pool in multiHostPools {
            let prefix = pool.subnet.description
            var networkID: String?
            for index in networks.indices where networks[index].options[StateView.multiHostNetworkOption] == pool.network {
                for subnet in networks[index].subnets.indices where networks[index].subnets[subnet].prefix == prefix {
                    networks[index].subnets[subnet].poolID = pool.poolID
                    networks[index].capacity = networks[index].capacity ?? String(StateView.hostCapacity(pool.subnet))
                    networkID = networks[index].id
                }
            }
            pools.append(PoolView(id: pool.poolID, addressSpace: "etcd", prefix: prefix, subPool: nil, allocated: pool.claimed,
                                  capacity: String(StateView.hostCapacity(pool.subnet)), networkID: networkID,
                                  multiHostNetwork: pool.network))
        }
    }

    static let multiHostNetworkOption = "swiftnet.network"

    /// Addresses a subnet can give hosts: without the network and broadcast addresses of an
    /// IPv4 subnet larger than /31, and without IPv6's subnet-router anycast (as the IPAM counts).
    static func hostCapacity(_ subnet: IPPrefix) -> UInt128 {
        switch subnet.family {
        case .v4 where subnet.length < 31: return subnet.lastOrdinal - 1
        case .v4: return subnet.lastOrdinal + 1
        case .v6: return subnet.lastOrdinal
        }
    }
}
