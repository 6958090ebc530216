import Logging
import SwiftnetAddress
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetKernel
import SwiftnetMultiHost
import SwiftnetLANModel
import SwiftnetNetworkModel

/// `swiftnet.mode=overlay` (or `-o swiftnet.network=NAME`): one logical network across hosts.
/// On each host a bridge (made, repaired and firewalled as the bridge mode does, with the
/// logical network's gateway address on every host) plus a VXLAN device on it (the logical
/// network's VNI, learning off, ARP/ND proxy on) whose permanent FDB and neighbour entries
/// `RemoteForwarding` keeps equal to the remote endpoints in etcd. Join publishes where the
/// endpoint is under this host's lease; Leave and DeleteEndpoint withdraw it.
package final class OverlayMode: NetworkMode {
    let bridge: BridgeMode
    let multiHost: MultiHost
    /// The logical network of a pool this host's IPAM handed out (networks created with
    /// `--ipam-opt swiftnet.network=NAME` only: the driver sees the subnet, not the IPAM's options).
    let poolNetwork: @Sendable (IPPrefix) -> String?
    let logger: Logger

    /// VXLAN adds 50 bytes to each frame: 1450 fits a 1500-byte underlay.
    package static let defaultMTU = 1450
    package static let vxlanPrefix = "swx-"

    package init(bridge: BridgeMode, multiHost: MultiHost, poolNetwork: @escaping @Sendable (IPPrefix) -> String?, logger: Logger) {
        self.bridge = bridge
        self.multiHost = multiHost
        self.poolNetwork = poolNetwork
        self.logger = logger
    }

    package var driverMode: DriverMode { .overlay }

    static func vxlanName(_ network: NetworkRecord) -> String {
        vxlanPrefix + network.bridge.dropFirst(InterfaceNames.bridgePrefix.count)
    }

    static func vni(_ network: NetworkRecord) -> UInt32? {
        network.options.generic[NetworkOptions.vniKey].flatMap { UInt32($0) }
    }

    // MARK: networks

    /// Asks etcd for the logical network (creating it if this host is first): etcd down
    /// refuses the network with etcd's error, within the client's timeout.
    package func networkRecord(for request: SwiftnetDriver.NetworkRequest) throws -> NetworkRecord {
        let v4 = request.subnets.filter { $0.pool.family == .v4 }
        guard request.subnets.allSatisfy({ $0.pool.family == .v4 }), v4.count <= 1, !request.options.ipv6 else {
            throw OverlayError.ipv4Only
        }
        guard let name = request.options.multiHostNetwork ?? v4.first.flatMap({ poolNetwork($0.pool) }) else {
            throw OverlayError.noName
        }
        let logical = try multiHost.registry.ensure(name: name, subnet: v4.first?.pool, host: multiHost.settings.node)
        if let given = v4.first, let gateway = given.gateway, gateway != logical.gateway {
            throw OverlayError.gatewayMismatch(network: name, given: gateway, logical: logical.gateway)
        }
        var options = request.options
        options.mode = .overlay
        options.generic[NetworkOptions.multiHostNetworkKey] = name
        options.generic[NetworkOptions.vniKey] = String(logical.vni)
        if options.mtu == nil { options.mtu = Self.defaultMTU }
        let bridgeName = try InterfaceNames.bridge(networkID: request.id)
        return NetworkRecord(id: request.id, bridge: options.bridgeName ?? bridgeName, options: options,
                             subnets: [NetworkSubnet(pool: logical.subnet, gateway: logical.gateway)], state: .creating)
    }

    package func admit(_ network: NetworkRecord, records: DriverState) throws -> NetworkRecord {
        if let other = records.networks.values.first(where: { $0.id != network.id && $0.options.multiHostNetwork == network.options.multiHostNetwork }) {
            throw OverlayError.alreadyHere(network: network.options.multiHostNetwork ?? "?", by: other.id)
        }
        let admitted = try bridge.admit(network, records: records)
        if try multiHost.forwarding.withLinks({ try $0.link(named: Self.vxlanName(network)) }) != nil {
            throw DriverError.bridgeNameInUse(Self.vxlanName(network), by: "an existing interface")
        }
        return admitted
    }

    package func createNetworkLinks(_ network: NetworkRecord) throws {
        try bridge.createNetworkLinks(network)
        try ensureVXLAN(network)
        serveNames(network)
    }

    /// DNS on the gateway address for the names of the network's endpoints on every host.
    func serveNames(_ network: NetworkRecord) {
        guard let name = network.options.multiHostNetwork, let gateway = network.subnets.first?.gateway else { return }
        multiHost.nameServers.serve(networkID: network.id, network: name, gateway: gateway)
    }

    /// The VXLAN device with the network's VNI, on its bridge and up; returns what it changed.
    @discardableResult
    func ensureVXLAN(_ network: NetworkRecord) throws -> [String] {
        guard let vni = Self.vni(network), let name = network.options.multiHostNetwork else { throw OverlayError.noVNI(network.id) }
        let device = Self.vxlanName(network)
        let settings = multiHost.settings
        var changes: [String] = []
        try multiHost.forwarding.withLinks { links in
            if let info = try? links.vxlan(named: device), !Self.matches(info, vni: vni, settings: settings) {
                _ = try links.deleteLink(device)
                changes.append("deleted VXLAN \(device) (VNI \(info.vni), local \(info.local?.description ?? "-"))")
            }
            if try links.link(named: device) == nil {
                try links.createVXLAN(name: device, vni: vni, local: settings.advertiseAddress, port: settings.vxlanPort,
                                      mtu: network.options.mtu)
                changes.append("created VXLAN \(device) (VNI \(vni))")
            }
            let bridgeIndex = try links.link(named: network.bridge)?.index
            let link = try links.link(named: device)
            if link?.masterIndex != bridgeIndex {
                try links.setMaster(device, bridge: network.bridge)
                changes.append("put VXLAN \(device) on \(network.bridge)")
            }
            if link?.isUp != true {
                try links.setUp(device)
                if !changes.isEmpty || link != nil { changes.append("brought VXLAN \(device) up") }
            }
        }
        multiHost.forwarding.register(network: name, device: device)
        return changes
    }

    @discardableResult
    package func deleteNetworkLinks(_ network: NetworkRecord, records: DriverState) throws -> [String] {
        multiHost.nameServers.stop(networkID: network.id)
        if let name = network.options.multiHostNetwork { multiHost.forwarding.unregister(network: name) }
        let device = Self.vxlanName(network)
        var deleted: [String] = []
        if try multiHost.forwarding.withLinks({ links in (try? links.vxlan(named: device)) != nil ? try links.deleteLink(device) : false }) {
            deleted.append("VXLAN \(device)")
        }
        return deleted + (try bridge.deleteNetworkLinks(network, records: records))
    }

    // MARK: endpoints (veths on the bridge, as the bridge mode makes them)

    package func endpointLinkNames(endpointID: String) throws -> EndpointLinkNames { try bridge.endpointLinkNames(endpointID: endpointID) }
    package func admitEndpoint(on network: NetworkRecord, records: DriverState, requestsMAC: Bool) throws {
        // The network's VXLAN device is a port of the bridge too.
        try bridge.admitEndpoint(on: network, records: records, requestsMAC: requestsMAC, otherPorts: 1)
    }
    package func takesMAC(on network: NetworkRecord) -> Bool { true }
    package func createEndpointLinks(_ endpoint: EndpointRecord, on network: NetworkRecord) throws {
        try bridge.createEndpointLinks(endpoint, on: network)
    }
    @discardableResult
    package func deleteEndpointLinks(_ endpoint: EndpointRecord) throws -> Bool { try bridge.deleteEndpointLinks(endpoint) }
    package func retireEndpointLinks(_ endpoint: EndpointRecord) throws { try bridge.retireEndpointLinks(endpoint) }
    package func deleteRetiredLinks() throws { try bridge.deleteRetiredLinks() }
    package func goneReason(_ endpoint: EndpointRecord, links: [String: ObservedLink], now: Int) -> String? {
        bridge.goneReason(endpoint, links: links, now: now)
    }

    // MARK: Join, Leave, ports, firewall

    package func joinAnswer(for endpoint: EndpointRecord, on network: NetworkRecord) -> JoinAnswer {
        bridge.joinAnswer(for: endpoint, on: network)
    }

    /// Published before Join answers, so the container is reachable from other hosts as soon
    /// as it runs. etcd down: the location is kept and written once etcd answers (see
    /// `HostMembership.publish`); Join does not fail for it.
    package func endpointJoined(_ endpoint: EndpointRecord, on network: NetworkRecord) {
        guard let location = location(of: endpoint, on: network) else { return }
        do {
            try multiHost.membership.publish(location)
        } catch {
            logger.warning("multi-host: could not publish the endpoint now; it is published once etcd answers",
                           metadata: ["endpoint": "\(endpoint.id.prefix(12))", "error": "\(error)"])
        }
    }

    package func endpointLeft(_ endpoint: EndpointRecord, on network: NetworkRecord) {
        guard let location = location(of: endpoint, on: network) else { return }
        do {
            try multiHost.membership.withdraw(network: location.network, address: location.address)
        } catch {
            logger.warning("multi-host: could not withdraw the endpoint now; it is withdrawn once etcd answers",
                           metadata: ["endpoint": "\(endpoint.id.prefix(12))", "error": "\(error)"])
        }
    }

    func location(of endpoint: EndpointRecord, on network: NetworkRecord) -> EndpointLocation? {
        guard let name = network.options.multiHostNetwork, let address = endpoint.address?.address else { return nil }
        return EndpointLocation(network: name, address: address, mac: endpoint.mac.bytes, host: multiHost.settings.node,
                                underlay: multiHost.settings.advertiseAddress,
                                name: multiHost.containerName(network: name, address: address) ?? "")
    }

    /// Ports are published on the local host's addresses, as on a bridge network.
    package func publishesPorts(on network: NetworkRecord) -> Bool { true }
    package func portsPublished(_ endpoint: EndpointRecord) { bridge.portsPublished(endpoint) }
    /// The bridge mode's rules: isolation, and egress masqueraded by the local host.
    package func firewallRecords(networks: [NetworkRecord], endpoints: [EndpointRecord],
                                 links: [String: ObservedLink]?) -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        bridge.firewallRecords(networks: networks, endpoints: endpoints, links: links)
    }

    // MARK: reconciliation

    /// The bridge, then the VXLAN device on it; its remote entries are re-synced when it is
    /// registered again.
    package func repairNetwork(_ network: NetworkRecord) -> [Repair] {
        var repairs = bridge.repairNetwork(network)
        let subject = Repair.network(network.id)
        do {
            repairs += try ensureVXLAN(network).map { Repair(subject: subject, action: "\($0) (network \(network.id.prefix(12)))") }
            serveNames(network)
        } catch {
            repairs.append(.failed(subject, "repair VXLAN \(Self.vxlanName(network)) of network \(network.id.prefix(12))", error))
        }
        return repairs
    }

    /// The veths back on the bridge, and every joined endpoint's location published again
    /// (in the background: etcd may be down at start-up; the lease writes them once it is back).
    package func repairEndpoints(_ endpoints: [EndpointRecord], of network: NetworkRecord, links: [String: ObservedLink]) -> [Repair] {
        let repairs = bridge.repairEndpoints(endpoints, of: network, links: links)
        let locations = endpoints.filter { $0.sandboxKey != nil && $0.state == .ready }.compactMap { location(of: $0, on: network) }
        if !locations.isEmpty {
            multiHost.background.async { [multiHost, logger] in
                for location in locations {
                    do {
                        try multiHost.membership.publish(location)
                    } catch {
                        logger.notice("multi-host: endpoint location kept for when etcd answers", metadata: ["address": "\(location.address)",
                                                                                                          "error": "\(error)"])
                    }
                }
            }
        }
        return repairs
    }

    package func ownedLinks(networks: [NetworkRecord], endpoints: [EndpointRecord]) -> Set<String> {
        bridge.ownedLinks(networks: networks, endpoints: endpoints).union(networks.map(Self.vxlanName))
    }

    /// The bridge mode's sweep deletes every leftover link of the server's group.
    package func deleteLeftovers(links: [String: ObservedLink], owned: Set<String>, records: DriverState) -> [Repair] { [] }

    // MARK: doctor

    package func addressedLinks(of networks: [NetworkRecord]) -> Set<String> { bridge.addressedLinks(of: networks) }

    /// The bridge's findings, then etcd's reachability, each VXLAN device, and how its FDB and
    /// neighbour entries differ from the remote endpoints etcd lists.
    package func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink], owned: Set<String>,
                          bootID: String) -> [Finding] {
        var findings = bridge.findings(ofOwn: networks, endpoints: endpoints, links: links, owned: owned, bootID: bootID)
        guard !networks.isEmpty else { return findings }
        if let error = multiHost.etcdStatus() {
            findings.append(Finding(kind: .etcdUnreachable, subject: "etcd",
                                    problem: "etcd does not answer: \(error)",
                                    meaning: "new containers and networks on multi-host networks fail; running containers keep talking (their FDB entries stay)",
                                    repair: "start etcd or fix the network to it; swiftnet converges by itself", fixable: false))
        }
        let byName = Dictionary(links.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for network in networks where network.state == .ready {
            let device = Self.vxlanName(network)
            guard let link = byName[device], link.master == network.bridge, link.isUp else {
                findings.append(Finding(kind: .vxlanMissing, subject: device, networkID: network.id,
                                        problem: "VXLAN device \(device) is missing, down or off bridge \(network.bridge)",
                                        meaning: "containers of this network cannot reach those on other hosts",
                                        repair: "swiftnet doctor --fix"))
                continue
            }
            if let finding = vxlanSettingsFinding(network, device: device) {
                findings.append(finding)
                continue
            }
            guard let name = network.options.multiHostNetwork else { continue }
            do {
                if let drift = try multiHost.forwarding.drift(network: name), !drift.isEmpty {
                    findings.append(Finding(kind: .forwardingDrift, subject: device, networkID: network.id,
                                            problem: "\(drift.missingForwarding.count) FDB and \(drift.missingNeighbours.count) neighbour entries missing, "
                                                + "\(drift.staleForwarding.count) and \(drift.staleNeighbours.count) stale, against etcd's endpoints",
                                            meaning: "some containers on other hosts are unreachable or reached at an old place",
                                            repair: "none needed: the watcher re-syncs every \(MultiHost.resyncSeconds) s (or swiftnet doctor --fix)"))
                }
            } catch {
                logger.warning("doctor: could not read the FDB of \(device)", metadata: ["error": "\(error)"])
            }
        }
        return findings
    }

    /// Whether a VXLAN device is the one `ensureVXLAN` makes for VNI `vni` on this host.
    static func matches(_ info: VXLANInfo, vni: UInt32, settings: MultiHostSettings) -> Bool {
        info.vni == vni && info.local == settings.advertiseAddress && info.port == settings.vxlanPort
    }

    /// The device is there, but with another VNI, local address or port than `ensureVXLAN`
    /// makes (as someone re-creating it by hand would leave it): no traffic to other hosts.
    private func vxlanSettingsFinding(_ network: NetworkRecord, device: String) -> Finding? {
        guard let vni = Self.vni(network),
              let info = try? multiHost.forwarding.withLinks({ links in try links.vxlan(named: device) }) else { return nil }
        let settings = multiHost.settings
        guard !Self.matches(info, vni: vni, settings: settings) else { return nil }
        return Finding(kind: .vxlanMissing, subject: device, networkID: network.id,
                       problem: "VXLAN device \(device) has VNI \(info.vni), local \(info.local?.description ?? "-"), port \(info.port); "
                           + "the network needs VNI \(vni), local \(settings.advertiseAddress), port \(settings.vxlanPort)",
                       meaning: "containers of this network cannot reach those on other hosts",
                       repair: "swiftnet doctor --fix")
    }
}
