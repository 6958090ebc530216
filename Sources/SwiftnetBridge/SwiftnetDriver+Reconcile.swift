import SwiftnetDiagnosis
import SwiftnetNetworkModel

extension SwiftnetDriver {
    /// What a reconciliation did: one `Repair` per thing it repaired or failed to, and the
    /// endpoints it freed (their addresses go back to the IPAM).
    package struct Reconciliation: Sendable {
        package var repairs: [Repair] = []
        package var freed: [FreedEndpoint] = []
    }

    /// Brings the kernel in line with the records: at start-up before any request, and for
    /// `swiftnet doctor --fix`. In phases, under the driver's lock: finish or undo networks a
    /// crash left half-made; repair the links of the others (after a reboot none are there);
    /// remove half-made endpoints; then, on one view of the links, free endpoints whose
    /// container is gone, put the live endpoints' links back in place and delete links no
    /// record owns; last, re-render the firewall.
    package func reconcile() -> Reconciliation {
        state.withLock { state in
            var result = Reconciliation()
            result.repairs += finishInterruptedNetworks(in: &state)
            result.repairs += repairReadyNetworks(state)
            result.repairs += removeHalfMadeEndpoints(in: &state)
            let links: [String: ObservedLink]
            do {
                links = try observeLinks()
            } catch {
                result.repairs.append(.failed("links", "list the links, so endpoints and leftovers were not checked", error))
                result.repairs += reapplyFirewall(state)
                return result
            }
            let stale = freeStaleEndpoints(in: &state, links: links, dryRun: false)
            result.freed = stale.freed
            result.repairs += stale.failures
            result.repairs += stale.freed.map { item in
                Repair(subject: Repair.endpoint(item.endpoint.id),
                       action: "freed endpoint \(item.endpoint.id.prefix(12)) (\(item.endpoint.address?.description ?? "no IPv4")): \(item.reason)")
            }
            result.repairs += repairEndpoints(state, links: links)
            result.repairs += deleteLeftovers(state, links: links)
            result.repairs += reapplyFirewall(state)
            return result
        }
    }

    /// One view of the namespace's links by name (a lookup per endpoint would cost a round trip each).
    func observeLinks(addressesOf names: Set<String> = []) throws -> [String: ObservedLink] {
        Dictionary(try links.observe(addressesOf: names).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Phase 1: a network still being created when swiftnet stopped was never answered:
    /// dockerd either gave up (and forgot it) or retries CreateNetwork, which builds it afresh.
    /// Undoing is right both ways. One being deleted is deleted.
    func finishInterruptedNetworks(in state: inout DriverState) -> [Repair] {
        var repairs: [Repair] = []
        for network in state.networks.values.sorted(by: { $0.id < $1.id }) where network.state != .ready {
            let mode = modes[network]
            let subject = Repair.network(network.id)
            let creating = network.state == .creating
            do {
                for deleted in try mode.deleteNetworkLinks(network, records: state) {
                    repairs.append(Repair(subject: subject, action: "deleted \(deleted) of a network being \(creating ? "created" : "deleted")"))
                }
                for endpoint in state.endpoints.values where endpoint.networkID == network.id {
                    try mode.deleteEndpointLinks(endpoint)
                    try store.commit(.deleteEndpoint(id: endpoint.id))
                    state.endpoints[endpoint.id] = nil
                }
                try store.commit(.deleteNetwork(id: network.id))
                state.networks[network.id] = nil
                repairs.append(Repair(subject: subject, action: creating ? "rolled back unanswered creation of network \(network.id.prefix(12))"
                                                                         : "finished deleting network \(network.id.prefix(12))"))
            } catch {
                repairs.append(.failed(subject, "repair network \(network.id.prefix(12)) (\(network.bridge))", error))
            }
        }
        return repairs
    }

    /// Phase 2: each ready network's links as its record says, by its mode.
    func repairReadyNetworks(_ state: DriverState) -> [Repair] {
        state.networks.values.sorted(by: { $0.id < $1.id }).filter { $0.state == .ready }
            .flatMap { modes[$0].repairNetwork($0) }
    }

    /// Phase 3: endpoints a crash left half-created or half-deleted go, links and record.
    func removeHalfMadeEndpoints(in state: inout DriverState) -> [Repair] {
        var repairs: [Repair] = []
        for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) where endpoint.state != .ready {
            let subject = Repair.endpoint(endpoint.id)
            do {
                try mode(of: endpoint, in: state).deleteEndpointLinks(endpoint)
                try store.commit(.deleteEndpoint(id: endpoint.id))
                state.endpoints[endpoint.id] = nil
                repairs.append(Repair(subject: subject,
                                      action: "removed half-\(endpoint.state == .creating ? "created" : "deleted") endpoint \(endpoint.id.prefix(12)) (\(endpoint.hostVeth))"))
            } catch {
                repairs.append(.failed(subject, "remove endpoint \(endpoint.id.prefix(12))", error))
            }
        }
        return repairs
    }

    /// Phase 5: the live endpoints' links back in place, network by network, by its mode.
    func repairEndpoints(_ state: DriverState, links: [String: ObservedLink]) -> [Repair] {
        var repairs: [Repair] = []
        for network in state.networks.values.sorted(by: { $0.id < $1.id }) {
            let endpoints = state.endpoints.values.filter { $0.networkID == network.id }.sorted { $0.id < $1.id }
            guard !endpoints.isEmpty else { continue }
            repairs += modes[network].repairEndpoints(endpoints, of: network, links: links)
        }
        return repairs
    }

    /// Phase 6: links no record owns, as each mode recognises its own.
    func deleteLeftovers(_ state: DriverState, links: [String: ObservedLink]) -> [Repair] {
        let owned = ownedLinks(state)
        return modes.all.flatMap { $0.deleteLeftovers(links: links, owned: owned, records: state) }
    }

    /// Every mode's `ownedLinks`.
    func ownedLinks(_ state: DriverState) -> Set<String> {
        modes.all.reduce(into: Set<String>()) { owned, mode in
            let own = state.records(of: mode.driverMode)
            owned.formUnion(mode.ownedLinks(networks: own.networks, endpoints: own.endpoints))
        }
    }

    /// Phase 7: re-renders the firewall; with no networks only if rules a crash left behind
    /// are there (nothing need be installed then).
    func reapplyFirewall(_ state: DriverState) -> [Repair] {
        let (networks, endpoints) = firewallRecords(state)
        do {
            var changed = 0
            if !networks.isEmpty {
                changed = try firewall.apply(networks: networks, endpoints: endpoints)
            } else if try !firewall.drift(networks: [], endpoints: []).drift.isEmpty {
                changed = try firewall.apply(networks: [], endpoints: [])
            }
            return changed > 0 ? [Repair(subject: Repair.firewall, action: "re-applied the firewall (\(changed) rule\(changed == 1 ? "" : "s") differed)")] : []
        } catch {
            return [.failed(Repair.firewall, "program the firewall", error)]
        }
    }
}
