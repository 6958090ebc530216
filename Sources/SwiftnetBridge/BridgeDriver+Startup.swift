import SwiftnetIPAM
import SwiftnetNetworkModel

extension BridgeDriver {
    /// Brings the kernel in line with the records at start-up, before any request: recreates
    /// the bridges of recorded networks (after a reboot all are gone), finishes or undoes what
    /// a crash interrupted, and re-renders the firewall. Returns one line per repair.
    public func reconcile() -> (repairs: [String], freedAddresses: [(networkID: String, address: IPAddress)]) {
        state.withLock { state in
            var repairs: [String] = []
            var freed: [(networkID: String, address: IPAddress)] = []
            for network in state.networks.values.sorted(by: { $0.id < $1.id }) {
                do {
                    // A network still being created when swiftnet stopped was never answered:
                    // dockerd either gave up (and forgot it) or retries CreateNetwork, which
                    // builds it afresh. Undoing is right both ways.
                    if network.state == .deleting || network.state == .creating {
                        if try dataplane.deleteLink(network.bridge) {
                            repairs.append("deleted bridge \(network.bridge) of a network being \(network.state == .creating ? "created" : "deleted")")
                        }
                        for endpoint in state.endpoints.values where endpoint.networkID == network.id {
                            try dataplane.deleteLink(endpoint.hostVeth)
                            try store.commit(.deleteEndpoint(id: endpoint.id))
                            state.endpoints[endpoint.id] = nil
                        }
                        try store.commit(.deleteNetwork(id: network.id))
                        state.networks[network.id] = nil
                        if network.state == .creating { repairs.append("rolled back unanswered creation of network \(network.id.prefix(12))") }
                        continue
                    }
                    let existed = try dataplane.linkExists(network.bridge)
                    try dataplane.ensureBridge(name: network.bridge, mtu: network.options.mtu,
                                               addresses: BridgeDriver.gatewayAddresses(network), ipv6: network.options.ipv6)
                    if !existed { repairs.append("recreated bridge \(network.bridge) of network \(network.id.prefix(12))") }
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
            // Endpoints whose container is gone: from an earlier boot (every namespace went with
            // it), or whose veth vanished (the namespace was destroyed while swiftnet was away).
            for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) {
                let earlierBoot = endpoint.bootID != bootID
                let vethGone = !earlierBoot && ((try? dataplane.linkExists(endpoint.hostVeth)) == false)
                guard earlierBoot || vethGone else { continue }
                do {
                    try dataplane.deleteLink(endpoint.hostVeth)
                    try store.commit(.deleteEndpoint(id: endpoint.id))
                    state.endpoints[endpoint.id] = nil
                    freed += [endpoint.address, endpoint.addressIPv6].compactMap { $0 }.map { (endpoint.networkID, $0.address) }
                    repairs.append("freed endpoint \(endpoint.id.prefix(12)) (\(endpoint.address?.description ?? "no IPv4")): "
                                   + (earlierBoot ? "recorded in an earlier boot" : "its veth \(endpoint.hostVeth) is gone"))
                } catch {
                    repairs.append("could not free endpoint \(endpoint.id.prefix(12)): \(error)")
                }
            }
            // Links this server made that no record owns (a crash between creating and recording
            // cannot happen, but one between deleting the record and the link can).
            let owned = Set(state.networks.values.map(\.bridge)).union(state.endpoints.values.map(\.hostVeth))
            do {
                for name in try dataplane.ownedLinks() where !owned.contains(name) {
                    try dataplane.deleteLink(name)
                    repairs.append("deleted \(name), which no record owns")
                }
            } catch {
                repairs.append("could not sweep orphan links: \(error)")
            }
            if !state.networks.isEmpty {
                do {
                    try firewall.apply(networks: Array(state.networks.values), endpoints: Array(state.endpoints.values))
                } catch {
                    repairs.append("could not program the firewall: \(error)")
                }
            }
            return (repairs, freed)
        }
    }
}
