import SwiftnetIPAM
import SwiftnetNetworkModel
import SwiftnetDiagnosis

extension BridgeDriver {
    /// An endpoint freed because its container is gone, with the addresses the IPAM must take back.
    package struct FreedEndpoint: Sendable {
        package var endpoint: EndpointRecord
        package var reason: String
    }

    /// Brings the kernel in line with the records: at start-up before any request, and for
    /// `swiftnet doctor --fix`. Recreates the bridges of recorded networks (after a reboot all
    /// are gone) with exactly their gateway addresses and MTU, finishes or undoes what a crash
    /// interrupted, frees endpoints whose container is gone, re-attaches veths to their
    /// bridges, deletes links no record owns, and re-renders the firewall. Returns one line
    /// per repair, and the freed endpoints (their addresses go back to the IPAM).
    package func reconcile() -> (repairs: [String], freed: [FreedEndpoint]) {
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
                            try dataplane.deleteEndpointLink(endpoint.hostVeth, endpointID: endpoint.id)
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
                    if !network.options.interContainer {
                        // A reboot or an administrator may have turned it off since the network was made.
                        let before = dataplane.bridgeNetfilterStatus()
                        try dataplane.enableBridgeNetfilter(ipv6: BridgeDriver.hasIPv6(network))
                        if dataplane.bridgeNetfilterStatus() != before {
                            repairs.append("made bridged traffic pass iptables again for enable_icc=false (network \(network.id.prefix(12)))")
                        }
                    }
                } catch BridgeError.bridgeNameInUse(let name, let owner) {
                    state.takenBridges.insert(network.id)
                    repairs.append("could not repair network \(network.id.prefix(12)): its bridge name \(name) is taken by \(owner); left alone")
                } catch {
                    repairs.append("could not repair network \(network.id.prefix(12)) (\(network.bridge)): \(error)")
                }
            }
            for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) where endpoint.state != .ready {
                do {
                    try dataplane.deleteEndpointLink(endpoint.hostVeth, endpointID: endpoint.id)
                    try store.commit(.deleteEndpoint(id: endpoint.id))
                    state.endpoints[endpoint.id] = nil
                    repairs.append("removed half-\(endpoint.state == .creating ? "created" : "deleted") endpoint \(endpoint.id.prefix(12)) (\(endpoint.hostVeth))")
                } catch {
                    repairs.append("could not remove endpoint \(endpoint.id.prefix(12)): \(error)")
                }
            }
            // One view of the links for the rest: which veths are gone, where each is attached,
            // and what nobody owns (a lookup per endpoint would cost a round trip each).
            let links: [String: ObservedLink]
            do {
                links = Dictionary(try dataplane.observe(addressesOf: []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            } catch {
                repairs.append("could not list the links, so endpoints and leftovers were not checked: \(error)")
                return (repairs + reapplyFirewall(state), [])
            }
            let freed = freeStaleEndpoints(in: &state, links: links, dryRun: false, repairs: &repairs)
            repairs += freed.map { "freed endpoint \($0.endpoint.id.prefix(12)) (\($0.endpoint.address?.description ?? "no IPv4")): \($0.reason)" }
            // A bridge recreated above has no ports: put every live endpoint's veth back on it.
            let bridges = Set(state.networks.values.map(\.bridge).filter { links[$0]?.isBridge(madeBy: dataplane.group) == true })
            for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) {
                guard let network = state.networks[endpoint.networkID], bridges.contains(network.bridge),
                      let veth = links[endpoint.hostVeth], veth.mayBelong(toEndpoint: endpoint.id) else { continue }
                do {
                    repairs += try dataplane.ensureAttached(veth, to: network.bridge, mtu: network.options.mtu,
                                                           hairpin: !endpoint.publishedPorts.isEmpty)
                } catch {
                    repairs.append("could not re-attach \(endpoint.hostVeth) to \(network.bridge): \(error)")
                }
            }
            // Leftovers: links this server made that no record owns (a crash between deleting
            // the record and the link leaves one) and `swv…` veths on its bridges. Other
            // interfaces on its bridges are left alone.
            let owned = Set(state.networks.values.map(\.bridge)).union(state.endpoints.values.map(\.hostVeth))
            for link in links.values.sorted(by: { $0.name < $1.name }) where !owned.contains(link.name)
                && link.leftover(ofGroup: dataplane.group, bridges: bridges) != nil {
                do {
                    if try dataplane.deleteLink(link.name) { repairs.append("deleted \(link.name), which no record owns") }
                } catch {
                    repairs.append("could not delete \(link.name), which no record owns: \(error)")
                }
            }
            return (repairs + reapplyFirewall(state), freed)
        }
    }

    /// Re-renders the firewall; with no networks only if rules a crash left behind are there
    /// (nothing need be installed then). Networks whose bridge name is taken get no rules.
    private func reapplyFirewall(_ state: State) -> [String] {
        let (networks, endpoints) = state.firewallRecords
        do {
            var changed = 0
            if !networks.isEmpty {
                changed = try firewall.apply(networks: networks, endpoints: endpoints)
            } else if try !firewall.drift(networks: [], endpoints: []).drift.isEmpty {
                changed = try firewall.apply(networks: [], endpoints: [])
            }
            return changed > 0 ? ["re-applied the firewall (\(changed) rule\(changed == 1 ? "" : "s") differed)"] : []
        } catch {
            return ["could not program the firewall: \(error)"]
        }
    }

    /// Endpoints whose container is gone: from an earlier boot (every namespace went with
    /// it), or whose veth vanished (the namespace was destroyed while swiftnet was away, or
    /// without dockerd telling it). Unless `dryRun`, their records and veths are deleted; the
    /// caller returns their addresses to the IPAM.
    func freeStaleEndpoints(in state: inout State, links: [String: ObservedLink], dryRun: Bool,
                            repairs: inout [String]) -> [FreedEndpoint] {
        var freed: [FreedEndpoint] = []
        for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) where endpoint.state == .ready {
            let earlierBoot = endpoint.bootID != bootID
            // A link of its name whose alias names another endpoint is not its veth.
            let veth = links[endpoint.hostVeth].flatMap { $0.mayBelong(toEndpoint: endpoint.id) ? $0 : nil }
            guard earlierBoot || veth == nil else { continue }
            let reason = earlierBoot ? "recorded in an earlier boot" : "its veth \(endpoint.hostVeth) is gone"
            if dryRun {
                freed.append(FreedEndpoint(endpoint: endpoint, reason: reason))
                continue
            }
            do {
                try dataplane.deleteEndpointLink(endpoint.hostVeth, endpointID: endpoint.id)
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
    package func collectGarbage(dryRun: Bool) -> (freed: [FreedEndpoint], errors: [String]) {
        state.withLock { state in
            var errors: [String] = []
            let links: [String: ObservedLink]
            do {
                links = Dictionary(try dataplane.observe(addressesOf: []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            } catch {
                return ([], ["could not list the links: \(error)"])
            }
            let freed = freeStaleEndpoints(in: &state, links: links, dryRun: dryRun, repairs: &errors)
            if !dryRun, freed.contains(where: { !$0.endpoint.publishedPorts.isEmpty }) {
                do {
                    try applyFirewall(state)
                } catch {
                    errors.append("could not program the firewall: \(error)")
                }
            }
            return (freed, errors)
        }
    }
}
