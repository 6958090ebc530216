import SwiftnetAddress
import SwiftnetIPAM
import SwiftnetLANModel
import SwiftnetNetworkModel

extension StateView {
    /// The view of a server's records: its IPAM and its bridge driver's networks and endpoints.
    package init(server: ServerInfo, ipam: IPAMAllocator, networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        // A network's subnet came from the pool with the same prefix (dockerd asks the IPAM
        // first, then passes the pool to CreateNetwork); local address space first, which is
        // the one dockerd uses for a local-scope driver such as swiftnet.
        let pools = ipam.poolIDs.compactMap { ipam.pool($0) }
            .sorted { ($0.addressSpace == IPAMConfiguration.localSpace ? 0 : 1, $0.id) < ($1.addressSpace == IPAMConfiguration.localSpace ? 0 : 1, $1.id) }
        func poolRecord(for prefix: IPPrefix) -> PoolRecord? { pools.first { $0.prefix == prefix } }

        var poolNetwork: [String: String] = [:]
        let networkViews = networks.sorted { $0.id < $1.id }.map { network -> NetworkView in
            let subnets = network.subnets.map { subnet -> NetworkView.Subnet in
                let pool = poolRecord(for: subnet.pool)
                if let pool { poolNetwork[pool.id] = network.id }
                return .init(prefix: subnet.pool.description, gateway: subnet.gateway?.description, poolID: pool?.id)
            }
            let first = network.subnets.first { $0.pool.family == .v4 } ?? network.subnets.first
            let capacity = first.flatMap { poolRecord(for: $0.pool) }.flatMap { ipam.usage(ofPool: $0.id) }.map { String($0.capacity) }
            let options = network.options
            return NetworkView(
                id: network.id, bridge: network.bridge, state: network.state.rawValue,
                mode: StateView.modeText(network),
                isInternal: options.isInternal, ipv6: options.ipv6 || network.subnets.contains { $0.pool.family == .v6 },
                mtu: options.mtu, options: options.generic, subnets: subnets,
                endpointCount: endpoints.filter { $0.networkID == network.id }.count, capacity: capacity)
        }

        let networkByID = Dictionary(networks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let endpointViews = endpoints.sorted { $0.id < $1.id }.map { endpoint -> EndpointView in
            var name: String?
            if let address = endpoint.address?.address ?? endpoint.addressIPv6?.address,
               let subnet = networkByID[endpoint.networkID]?.subnets.first(where: { $0.pool.contains(address) }),
               let pool = poolRecord(for: subnet.pool) {
                name = ipam.holderName(poolID: pool.id, address: address)
            }
            return EndpointView(
                id: endpoint.id, networkID: endpoint.networkID, containerName: name,
                address: endpoint.address?.description, addressIPv6: endpoint.addressIPv6?.description,
                mac: endpoint.mac.description, hostVeth: endpoint.hostVeth, containerVeth: endpoint.containerVeth,
                published: endpoint.publishedPorts.map(\.description), bootID: endpoint.bootID, state: endpoint.state.rawValue)
        }

        let poolViews = ipam.poolIDs.compactMap { id -> PoolView? in
            guard let pool = ipam.pool(id), let usage = ipam.usage(ofPool: id) else { return nil }
            let range = ipam.rangeUsage(ofPool: id)
            return PoolView(id: id, addressSpace: pool.addressSpace, prefix: pool.prefix.description,
                            subPool: pool.subPool?.description, allocated: usage.allocated, capacity: String(usage.capacity),
                            networkID: poolNetwork[id], rangeAllocated: range?.allocated, rangeCapacity: range.map { String($0.capacity) })
        }
        self.init(server: server, networks: networkViews, endpoints: endpointViews, pools: poolViews)
    }
}

extension StateView {
    /// Bridges: nat, routed or internal. macvlan/ipvlan: the kind and its mode
    /// ("macvlan bridge", "ipvlan l3 private"), ", internal" when it leads nowhere (no parent),
    /// ", parent made by swiftnet" for an owned `eth0.50` or dummy.
    static func modeText(_ network: NetworkRecord) -> String {
        let options = network.options
        let bridged = options.isInternal ? "internal" : (options.masquerade ? "nat" : "routed")
        switch network.mode {
        case .bridge: return bridged
        case .overlay: return "overlay " + bridged
        case .macvlan, .ipvlan: break
        }
        let lan = try? LANNetworkOptions(generic: options.generic)
        var text: String
        switch lan?.childKind {
        case .macvlan(let mode)?: text = "macvlan \(mode.rawValue)"
        case .ipvlan(let mode, let flag)?: text = "ipvlan \(mode.rawValue) \(flag.rawValue)"
        default: text = network.mode.rawValue
        }
        if options.isInternal || lan?.parent == nil { text += ", internal" }
        if network.ownsLink { text += ", parent made by swiftnet" }
        if let shim = network.hostShim { text += ", host shim \(shim)" }
        return text
    }
}
