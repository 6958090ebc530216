import Dispatch
import Logging
import SwiftnetAddress
import SwiftnetCrashPoints
import Synchronization
import SwiftnetIPAM
import SwiftnetNetworkModel

/// The bridge network driver: one Linux bridge per network, a veth pair per endpoint, and
/// the firewall for the whole state. Each mutating call records its intent before touching
/// the kernel and its result after, all under one lock (libnl sockets are single-threaded,
/// and iptables state is rendered whole).
package final class BridgeDriver: Sendable {
    struct State {
        var networks: [String: NetworkRecord] = [:]
        var endpoints: [String: EndpointRecord] = [:]
        /// Networks whose bridge name the last reconciliation found taken by a link this
        /// server did not make: no endpoint is put on it until a reconciliation finds it free.
        var takenBridges: Set<String> = []
    }

    let state: Mutex<State>
    let store: any NetworkStore
    let dataplane: any Dataplane
    let firewall: any FirewallProgrammer
    let hostPorts: any HostPortProbe
    let bootID: String
    let logger: Logger
    /// Deletes endpoint veths after DeleteEndpoint has answered.
    let reaper = DispatchQueue(label: "swiftnet.veth-reaper")
    let pendingDeletion = Mutex<(endpoints: [EndpointRecord], scheduled: Bool)>(([], false))

    package init(store: any NetworkStore, dataplane: any Dataplane, firewall: any FirewallProgrammer,
                hostPorts: any HostPortProbe, bootID: String, logger: Logger) throws {
        let loaded = try store.loadNetworks()
        var state = State()
        for network in loaded.networks { state.networks[network.id] = network }
        for endpoint in loaded.endpoints { state.endpoints[endpoint.id] = endpoint }
        self.state = Mutex(state)
        self.store = store
        self.dataplane = dataplane
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
        package init(id: String, options: NetworkOptions, subnets: [NetworkSubnet]) {
            self.id = id
            self.options = options
            self.subnets = subnets
        }
    }

    package func createNetwork(_ request: NetworkRequest) throws {
        // Derived even when a name is chosen: that is what checks the id is safe.
        let derivedBridge = try InterfaceNames.bridge(networkID: request.id)
        let bridge = request.options.bridgeName ?? derivedBridge
        var network = NetworkRecord(id: request.id, bridge: bridge, options: request.options,
                                    subnets: request.subnets, state: .creating)
        try state.withLock { state in
            if let existing = state.networks[request.id] {
                guard existing.bridge == bridge, existing.subnets == request.subnets, existing.options == request.options else {
                    throw BridgeError.networkExists(request.id)
                }
                logger.info("CreateNetwork repeated; already there", metadata: ["network": "\(request.id.prefix(12))"])
                return
            }
            if let owner = state.networks.values.first(where: { $0.bridge == bridge }) {
                throw BridgeError.bridgeNameInUse(bridge, by: "swiftnet network \(owner.id.prefix(12))")
            }
            if try dataplane.linkExists(bridge) {
                throw BridgeError.bridgeNameInUse(bridge, by: "an existing interface")
            }
            // Before anything is recorded: a network whose isolation cannot work is refused.
            if !request.options.interContainer {
                try dataplane.enableBridgeNetfilter(ipv6: BridgeDriver.hasIPv6(network))
            }
            try store.commit(.putNetwork(network))
            CrashPoint.reach("network.create.recorded")
            state.networks[network.id] = network
            do {
                try dataplane.createBridge(name: bridge, mtu: request.options.mtu,
                                           addresses: BridgeDriver.gatewayAddresses(network), ipv6: request.options.ipv6)
                CrashPoint.reach("network.create.bridge")
                try applyFirewall(state)
                CrashPoint.reach("network.create.firewall")
                network.state = .ready
                try store.commit(.putNetwork(network))
                state.networks[network.id] = network
            } catch {
                state.networks[network.id] = nil
                _ = try? dataplane.deleteOwnBridge(bridge)
                _ = try? applyFirewall(state)
                try? store.commit(.deleteNetwork(id: network.id))
                throw error
            }
        }
        logger.info("CreateNetwork", metadata: ["network": "\(request.id.prefix(12))", "bridge": "\(bridge)",
                                                "subnets": "\(request.subnets.map { "\($0.pool)" }.joined(separator: ","))",
                                                "internal": "\(request.options.isInternal)"])
    }

    /// Unknown networks are not an error: dockerd repeats deletes after failures.
    package func deleteNetwork(id: String) throws {
        drain()
        let deleted: NetworkRecord? = try state.withLock { state in
            guard var network = state.networks[id] else { return nil }
            // dockerd deletes endpoints first; any left belong to containers gone with an old dockerd.
            for endpoint in state.endpoints.values where endpoint.networkID == id {
                try dataplane.deleteEndpointLink(endpoint.hostVeth, endpointID: endpoint.id)
                try store.commit(.deleteEndpoint(id: endpoint.id))
                state.endpoints[endpoint.id] = nil
            }
            network.state = .deleting
            try store.commit(.putNetwork(network))
            CrashPoint.reach("network.delete.recorded")
            state.networks[id] = nil
            if try !dataplane.deleteOwnBridge(network.bridge), try dataplane.linkExists(network.bridge) {
                logger.warning("DeleteNetwork left \(network.bridge) alone: swiftnet did not make that link",
                               metadata: ["network": "\(id.prefix(12))"])
            }
            state.takenBridges.remove(id)
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

    static func hasIPv6(_ network: NetworkRecord) -> Bool {
        network.options.ipv6 || network.subnets.contains { $0.pool.family == .v6 }
    }

    static func gatewayAddresses(_ network: NetworkRecord) -> [InterfaceAddress] {
        network.subnets.compactMap { subnet in
            subnet.gateway.map { InterfaceAddress(address: $0, prefixLength: subnet.pool.length) }
        }
    }

    /// Called every few seconds: dockerd inserts its own rules above ours whenever it starts
    /// or creates a network, which would let its bridges' traffic past our isolation.
    package func guardFirewall() {
        guard state.withLock({ !$0.networks.isEmpty }) else { return }
        do {
            try firewall.ensureJumps()
        } catch {
            logger.warning("could not check the firewall jumps", metadata: ["error": "\(error)"])
        }
    }

    // MARK: queries

    package var networks: [NetworkRecord] { state.withLock { Array($0.networks.values) } }
    /// The link group this driver tags its bridges and veths with.
    package var linkGroup: UInt32 { dataplane.group }
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
