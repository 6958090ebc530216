import SwiftnetIPAM
import SwiftnetNetworkModel

extension BridgeDriver {
    /// An endpoint freed because its container is gone, with the addresses the IPAM must take back.
    public struct FreedEndpoint: Sendable {
        public var endpoint: EndpointRecord
        public var reason: String
    }

    /// Brings the kernel in line with the records: at start-up before any request, and for
    /// `swiftnet doctor --fix`. Recreates the bridges of recorded networks (after a reboot all
    /// are gone) with exactly their gateway addresses and MTU, finishes or undoes what a crash
    /// interrupted, frees endpoints whose container is gone, re-attaches veths to their
    /// bridges, deletes links no record owns, and re-renders the firewall. Returns one line
    /// per repair, and the freed endpoints (their addresses go back to the IPAM).
    public func reconcile() -> (repairs: [String], freed: [FreedEndpoint]) {
        state.withLock { state in
            var repairs: [String] = []
            for network in state.networks.values.sorted(by: { $0.id < $1.id }) {
                do {
                    // A network still being created when swiftnet stopped was never answered:
                    // dockerd either gave up (and forgot it) or retries CreateNetwork, which
                    // builds it afresh. Undoing is right both ways.
                    if network.state == .deleting || network.state == .creating {
                        if try dataplane.deleteOwnBridge(network.bridge) {
                            repairs.append("deleted bridge \(network.bridge) of a network being \(network.state == .creating ? "created" : "deleted")")
                        }
                        for endpoint in state.endpoints.values where endpoint.networkID == network.id {
                            try dataplane.deleteLink(endpoint.hostVeth)
                            try store.commit(.deleteEndpoint(id: endpoint.id))
                            state.endpoints[endpoint.id] = nil
                        }
                        try store.commit(.deleteNetwork(id: network.id))
                        state.networks[network.id] = nil
                        repairs.append(network.state == .creating ? "rolled back unanswered creation of network \(network.id.prefix(12))"
                                                                  : "finished deleting network \(network.id.prefix(12))")
                        continue
                    }
                    let changes = try dataplane.ensureBridge(name: network.bridge, mtu: network.options.mtu,
                                                             addresses: BridgeDriver.gatewayAddresses(network), ipv6: network.options.ipv6)
                    repairs += changes.map { "\($0) (network \(network.id.prefix(12)))" }
                    state.takenBridges.remove(network.id)
                } catch BridgeError.bridgeNameInUse(let name, let owner) {
                    state.takenBridges.insert(network.id)
                    repairs.append("could not repair network \(network.id.prefix(12)): its bridge name \(name) is taken by \(owner); left alone")
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
            let freed = freeStaleEndpoints(in: &state, dryRun: false, repairs: &repairs)
            repairs += freed.map { "freed endpoint \($0.endpoint.id.prefix(12)) (\($0.endpoint.address?.description ?? "no IPv4")): \($0.reason)" }
            // A bridge recreated above has no ports: put every live endpoint's veth back on it.
            for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) {
                guard let network = state.networks[endpoint.networkID], !state.takenBridges.contains(network.id) else { continue }
                do {
                    repairs += try dataplane.ensureAttached(endpoint.hostVeth, to: network.bridge, mtu: network.options.mtu,
                                                           hairpin: !endpoint.publishedPorts.isEmpty)
                } catch {
                    repairs.append("could not re-attach \(endpoint.hostVeth) to \(network.bridge): \(error)")
                }
            }
            repairs += sweepOrphans(state)
            do {
                let networks = Array(state.networks.values), endpoints = Array(state.endpoints.values)
                let (drift, _) = try firewall.drift(networks: networks, endpoints: endpoints)
                // Without networks nothing need be installed, but rules left by a network
                // deleted during a crash must go.
                if !networks.isEmpty || !drift.isEmpty {
                    try firewall.apply(networks: networks, endpoints: endpoints)
                }
                if drift.differences > 0 {
                    repairs.append("re-applied the firewall (\(drift.differences) rule\(drift.differences == 1 ? "" : "s") differed)")
                }
            } catch {
                repairs.append("could not program the firewall: \(error)")
            }
            return (repairs, freed)
        }
    }

    /// Deletes links this server made (its link group) that no record owns — a crash between
    /// deleting the record and the link leaves one — and swiftnet-named veths attached to one
    /// of its bridges that no endpoint owns. Other interfaces on our bridges are left alone.
    private func sweepOrphans(_ state: State) -> [String] {
        var repairs: [String] = []
        let owned = Set(state.networks.values.map(\.bridge)).union(state.endpoints.values.map(\.hostVeth))
        let bridges = Set(state.networks.values.filter { !state.takenBridges.contains($0.id) }.map(\.bridge))
        do {
            for link in try dataplane.observe(addressesOf: []) where !owned.contains(link.name) {
                let ours = link.group == dataplane.group || link.group == dataplane.retiredGroup
                let strayOnOurBridge = link.master.map(bridges.contains) == true && link.kind == "veth"
                    && InterfaceNames.isHostVeth(link.name)
                guard ours || strayOnOurBridge else { continue }
                try dataplane.deleteLink(link.name)
                repairs.append("deleted \(link.name), which no record owns")
            }
        } catch {
            repairs.append("could not sweep orphan links: \(error)")
        }
        return repairs
    }

    /// Endpoints whose container is gone: from an earlier boot (every namespace went with
    /// it), or whose veth vanished (the namespace was destroyed while swiftnet was away, or
    /// without dockerd telling it). Unless `dryRun`, their records and veths are deleted; the
    /// caller returns their addresses to the IPAM.
    func freeStaleEndpoints(in state: inout State, dryRun: Bool, repairs: inout [String]) -> [FreedEndpoint] {
        var freed: [FreedEndpoint] = []
        for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) where endpoint.state == .ready {
            let earlierBoot = endpoint.bootID != bootID
            let vethGone = !earlierBoot && ((try? dataplane.linkExists(endpoint.hostVeth)) == false)
            guard earlierBoot || vethGone else { continue }
            let reason = earlierBoot ? "recorded in an earlier boot" : "its veth \(endpoint.hostVeth) is gone"
            if dryRun {
                freed.append(FreedEndpoint(endpoint: endpoint, reason: reason))
                continue
            }
            do {
                try dataplane.deleteLink(endpoint.hostVeth)
                try store.commit(.deleteEndpoint(id: endpoint.id))
                state.endpoints[endpoint.id] = nil
                freed.append(FreedEndpoint(endpoint: endpoint, reason: reason))
            } catch {
                repairs.append("could not free endpoint \(endpoint.id.prefix(12)): \(error)")
            }
        }
        return freed
    }

    /// `swiftnet gc`: frees the endpoints whose container is gone (see `freeStaleEndpoints`)
    /// and re-renders the firewall without their published ports.
    public func collectGarbage(dryRun: Bool) -> (freed: [FreedEndpoint], errors: [String]) {
        state.withLock { state in
            var errors: [String] = []
            let freed = freeStaleEndpoints(in: &state, dryRun: dryRun, repairs: &errors)
            if !dryRun, freed.contains(where: { !$0.endpoint.publishedPorts.isEmpty }) {
                do {
                    try firewall.apply(networks: Array(state.networks.values), endpoints: Array(state.endpoints.values))
                } catch {
                    errors.append("could not program the firewall: \(error)")
                }
            }
            return (freed, errors)
        }
    }
}
