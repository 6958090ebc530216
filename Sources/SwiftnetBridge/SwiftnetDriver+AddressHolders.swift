import SwiftnetAddress
import SwiftnetNetworkModel

extension SwiftnetDriver {
    /// The live endpoint holding `address` on the network whose subnet `prefix` is, as
    /// "endpoint E of network N"; nil when none does. With a pool's `swiftnet.scope`, only
    /// the macvlan/ipvlan network on that parent counts. Without one, only a network alone
    /// with the subnet: two LANs may share a subnet told apart by scopes, and then which
    /// network this pool is cannot be told (nil: nothing refused, as before).
    package func endpointHolding(_ address: IPAddress, inSubnet prefix: IPPrefix, scope: String?) -> String? {
        state.withLock { state in
            var found: NetworkRecord?
            for network in state.networks.values where network.subnets.contains(where: { $0.pool == prefix }) {
                if let scope, network.bridge != scope || !LANMode.isLAN(network) { continue }
                if found != nil { return nil }
                found = network
            }
            guard let network = found else { return nil }
            return state.endpoints.addressHolder(address, on: network.id).map {
                "endpoint \($0.prefix(12)) of network \(network.id.prefix(12))"
            }
        }
    }
}
