import Dispatch
import Logging
import SwiftnetAddress
import SwiftnetCrashPoints
import Synchronization
import SwiftnetNetworkModel
import SwiftnetLANModel

/// The `swiftnet` network driver: the records of every network and endpoint, kept in the store
/// before and after each effect, under one lock (libnl sockets are single-threaded, and
/// iptables state is rendered whole). The network's mode (`DriverModes`) does the kernel work;
/// MAC choice, port publishing and the firewall are the same for every mode.
package final class SwiftnetDriver: Sendable {
    let state: Mutex<DriverState>
    let store: any NetworkStore
    let modes: DriverModes
    let links: any LinkObserver
    let firewall: any FirewallProgrammer
    let hostPorts: any HostPortProbe
    let bootID: String
    let logger: Logger
    /// Deletes endpoints' retired links after DeleteEndpoint has answered.
    let reaper = DispatchQueue(label: "swiftnet.veth-reaper")
    let pendingDeletion = Mutex<(endpoints: [(endpoint: EndpointRecord, mode: DriverMode)], scheduled: Bool)>(([], false))
    /// Guard rounds in a row that had to restore the chains, and that failed (see `guardFirewall`).
    let guardRounds = Mutex((restoring: 0, failing: 0))

    package init(store: any NetworkStore, modes: DriverModes, links: any LinkObserver, firewall: any FirewallProgrammer,
                 hostPorts: any HostPortProbe, bootID: String, logger: Logger) throws {
        let loaded = try store.loadNetworks()
        self.state = Mutex(DriverState(networks: loaded.networks, endpoints: loaded.endpoints))
        self.store = store
        self.modes = modes
        self.links = links
        self.firewall = firewall
        self.hostPorts = hostPorts
        self.bootID = bootID
        self.logger = logger
    }

    // MARK: networks

    package struct NetworkRequest: Sendable {
        package var id: String
        package var options: NetworkOptions
        package var subnets: [NetworkSubnet]
        /// `--aux-address NAME=ADDRESS` of every subnet: addresses the IPAM keeps from
        /// containers (a LAN network's host shim takes `host_shim`).
        package var auxAddresses: [String: IPAddress]
        package init(id: String, options: NetworkOptions, subnets: [NetworkSubnet], auxAddresses: [String: IPAddress] = [:]) {
            self.id = id
            self.options = options
            self.subnets = subnets
            self.auxAddresses = auxAddresses
        }
    }

    package func createNetwork(_ request: NetworkRequest) throws {
        let mode = modes[request.options.mode]
        var network = try mode.networkRecord(for: request)
        try state.withLock { state in
            if let existing = state.networks[request.id] {
                guard existing.bridge == network.bridge, existing.subnets == request.subnets, existing.options == network.options else {
                    throw DriverError.networkExists(request.id)
                }
                logger.info("CreateNetwork repeated; already there", metadata: ["network": "\(request.id.prefix(12))"])
                return
            }
            network = try mode.admit(network, records: state)
            network.sequence = state.nextNetworkSequence
            try store.commit(.putNetwork(network))
            CrashPoint.reach("network.create.recorded")
            state.networks[network.id] = network
            do {
                try mode.createNetworkLinks(network)
                CrashPoint.reach("network.create.bridge")
                try applyFirewall(state)
                CrashPoint.reach("network.create.firewall")
                network.state = .ready
                try store.commit(.putNetwork(network))
                state.networks[network.id] = network
            } catch {
                state.networks[network.id] = nil
                _ = try? mode.deleteNetworkLinks(network, records: state)
                _ = try? applyFirewall(state)
                try? store.commit(.deleteNetwork(id: network.id))
                throw error
            }
        }
        logger.info("CreateNetwork", metadata: ["network": "\(request.id.prefix(12))", "mode": "\(mode.driverMode.rawValue)",
                                                "bridge": "\(network.bridge)",
                                                "subnets": "\(request.subnets.map { "\($0.pool)" }.joined(separator: ","))",
                                                "internal": "\(request.options.isInternal)"])
    }

    /// Unknown networks are not an error: dockerd repeats deletes after failures.
    package func deleteNetwork(id: String) throws {
        drain()
        let deleted: NetworkRecord? = try state.withLock { state in
            guard var network = state.networks[id] else { return nil }
            let mode = modes[network]
            // dockerd deletes endpoints first; any left belong to containers gone with an old dockerd.
            for endpoint in state.endpoints.values where endpoint.networkID == id {
                try mode.deleteEndpointLinks(endpoint)
                try store.commit(.deleteEndpoint(id: endpoint.id))
                state.endpoints[endpoint.id] = nil
            }
            network.state = .deleting
            try store.commit(.putNetwork(network))
            CrashPoint.reach("network.delete.recorded")
            state.networks[id] = nil
            try mode.deleteNetworkLinks(network, records: state)
            CrashPoint.reach("network.delete.bridge")
            try applyFirewall(state)
            CrashPoint.reach("network.delete.firewall")
            try store.commit(.deleteNetwork(id: id))
            return network
        }
        if let deleted {
            logger.info("DeleteNetwork", metadata: ["network": "\(id.prefix(12))", "bridge": "\(deleted.bridge)"])
        } else {
            logger.notice("DeleteNetwork of a network not held; nothing to do", metadata: ["network": "\(id.prefix(12))"])
        }
    }

    /// Called every few seconds: dockerd inserts its own rules above ours whenever it starts
    /// or creates a network, which would let its bridges' traffic past our isolation, and
    /// rules of ours someone else removed would let containers where they must not go.
    package func guardFirewall() {
        guard state.withLock({ !$0.networks.isEmpty }) else { return }
        // Something that empties our chains again and again (a firewall manager reloading on a
        // timer), or a check that keeps failing, is dealt with every round but said in rounds
        // 1, 2, 4, 8, … of a run: not a line every 5 s for months.
        func said(_ inARow: Int) -> Bool { inARow > 0 && inARow & (inARow - 1) == 0 }
        do {
            // After a change of ours failed, what was installed is unknown and the guard has
            // nothing to compare with: the records say what must be there, applied whole
            // (reading the tables), under the lock every change takes. Before, the chains
            // stayed as the failure left them, unguarded, until the next change.
            let afterFailure = !firewall.knowsWhatItInstalled
            let jumpsBefore = firewall.guardJumpRepairCount
            let restored = try afterFailure
                ? state.withLock { state in
                    let (networks, endpoints) = firewallRecords(state)
                    return try firewall.apply(networks: networks, endpoints: endpoints)
                }
                : firewall.guardRules()
            let inARow = guardRounds.withLock { rounds in
                rounds = (restoring: restored > 0 ? rounds.restoring + 1 : 0, failing: 0)
                return rounds.restoring
            }
            let jumps = firewall.guardJumpRepairCount - jumpsBefore
            if jumps > 0 {
                // dockerd moves the FORWARD jump on each of its starts and network creates: said,
                // but not as a warning.
                logger.info("put back or moved swiftnet's iptables jumps into its chains", metadata: ["jumps": "\(jumps)"])
            }
            if said(inARow) {
                logger.warning(afterFailure ? "re-applied swiftnet's iptables chains after a change that failed"
                                            : "swiftnet's iptables chains were changed by something else; restored them",
                               metadata: ["rulesDiffering": "\(restored)", "roundsInARow": "\(inARow)"])
            }
        } catch {
            let inARow = guardRounds.withLock { rounds in
                rounds.failing += 1
                return rounds.failing
            }
            if said(inARow) {
                logger.warning("could not check the firewall", metadata: ["error": "\(error)", "roundsInARow": "\(inARow)"])
            }
        }
    }

    // MARK: queries

    package var networks: [NetworkRecord] { state.withLock { Array($0.networks.values) } }
    /// The link group this driver tags its links with.
    package var linkGroup: UInt32 { links.group }
    /// Records of both kinds from one moment.
    package var records: (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        state.withLock { (Array($0.networks.values), Array($0.endpoints.values)) }
    }
    package var endpoints: [EndpointRecord] { state.withLock { Array($0.endpoints.values) } }
    /// Whether any endpoint has this address (IPv4 or IPv6), whatever its state.
    package func holdsAddress(_ address: IPAddress) -> Bool {
        state.withLock { state in
            state.endpoints.values.contains { $0.address?.address == address || $0.addressIPv6?.address == address }
        }
    }
}
