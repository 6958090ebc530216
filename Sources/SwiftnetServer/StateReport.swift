import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel

/// What `GET /state` on the plugin socket answers: the server's view of its networks,
/// endpoints and pools, for operators and tests (the state file itself is held exclusively
/// while the server runs). Keys are stable; new ones may be added.
struct StateReport {
    let ipam: IPAMAllocator
    let networks: [NetworkRecord]
    let endpoints: [EndpointRecord]

    var json: JSONValue {
        .object([
            "networks": .array(networks.sorted { $0.id < $1.id }.map { network in
                .object([
                    "id": .string(network.id), "bridge": .string(network.bridge), "state": .string(network.state.rawValue),
                    "internal": .bool(network.options.isInternal), "mtu": network.options.mtu.map { .number(Double($0)) } ?? .null,
                    "subnets": .array(network.subnets.map { subnet in
                        .object(["pool": .string(subnet.pool.description),
                                 "gateway": subnet.gateway.map { .string($0.description) } ?? .null])
                    }),
                ])
            }),
            "endpoints": .array(endpoints.sorted { $0.id < $1.id }.map { endpoint in
                .object([
                    "id": .string(endpoint.id), "network": .string(endpoint.networkID),
                    "hostVeth": .string(endpoint.hostVeth), "containerVeth": .string(endpoint.containerVeth),
                    "address": endpoint.address.map { .string($0.description) } ?? .null,
                    "addressIPv6": endpoint.addressIPv6.map { .string($0.description) } ?? .null,
                    "mac": .string(endpoint.mac.description), "bootID": .string(endpoint.bootID),
                    "state": .string(endpoint.state.rawValue),
                    "published": .array(endpoint.publishedPorts.map { .string($0.description) }),
                ])
            }),
            "pools": .array(ipam.poolIDs.compactMap { id in
                guard let pool = ipam.pool(id), let usage = ipam.usage(ofPool: id) else { return nil }
                return .object([
                    "id": .string(id), "prefix": .string(pool.prefix.description),
                    "subPool": pool.subPool.map { .string($0.description) } ?? .null,
                    "allocated": .number(Double(usage.allocated)), "capacity": .string(String(usage.capacity)),
                ])
            }),
        ])
    }
}
