import SwiftnetNetworkModel

extension BridgeDriver {
    /// Brings the kernel in line with the records at start-up, before any request: recreates
    /// the bridges of recorded networks (after a reboot all are gone), finishes or undoes what
    /// a crash interrupted, and re-renders the firewall. Returns one line per repair.
    public func reconcile() -> [String] {
        state.withLock { state in
            var repairs: [String] = []
            for network in state.networks.values.sorted(by: { $0.id < $1.id }) {
                do {
                    if network.state == .deleting {
                        if try dataplane.deleteLink(network.bridge) { repairs.append("deleted bridge \(network.bridge) of a network being deleted") }
                        for endpoint in state.endpoints.values where endpoint.networkID == network.id {
                            try dataplane.deleteLink(endpoint.hostVeth)
                            try store.commit(.deleteEndpoint(id: endpoint.id))
                            state.endpoints[endpoint.id] = nil
                        }
                        try store.commit(.deleteNetwork(id: network.id))
                        state.networks[network.id] = nil
                        continue
                    }
                    let existed = try dataplane.linkExists(network.bridge)
                    try dataplane.ensureBridge(name: network.bridge, mtu: network.options.mtu,
                                               addresses: BridgeDriver.gatewayAddresses(network), ipv6: network.options.ipv6)
                    if !existed { repairs.append("recreated bridge \(network.bridge) of network \(network.id.prefix(12))") }
                    if network.state == .creating {
                        var ready = network
                        ready.state = .ready
                        try store.commit(.putNetwork(ready))
                        state.networks[network.id] = ready
                        repairs.append("finished creating network \(network.id.prefix(12))")
                    }
                } catch {
                    repairs.append("could not repair network \(network.id.prefix(12)) (\(network.bridge)): \(error)")
                }
            }
            for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) where endpoint.state != .ready {
                do {
                    try dataplane.deleteLink(endpoint.hostVeth)
                    try store.commit(.deleteEndpoint(id: endpoint.id))
                    state.endpoints[endpoint.id] = nil
                    repairs.append("removed half-\(endpoint.state == .creating ? "created" : "deleted") endpoint \(endpoint.id.prefix(12)) (\(endpoint.hostVeth))")
                } catch {
                    repairs.append("could not remove endpoint \(endpoint.id.prefix(12)): \(error)")
                }
            }
            if !state.networks.isEmpty {
                do {
                    try firewall.apply(networks: Array(state.networks.values), endpoints: Array(state.endpoints.values))
                } catch {
                    repairs.append("could not program the firewall: \(error)")
                }
            }
            return repairs
        }
    }
}
