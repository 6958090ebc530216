import Logging
import Synchronization
import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetKernel
import SwiftnetNetworkModel
import SwiftnetLANModel

/// `swiftnet.mode=bridge` (the default): one Linux bridge per network carrying the gateway
/// addresses, a veth pair per endpoint with its host end on the bridge, NAT and isolation in
/// the firewall, published ports by DNAT.
package final class BridgeMode: NetworkMode {
    let dataplane: any Dataplane
    let logger: Logger
    /// Networks whose bridge name the last reconciliation found taken by a link this server
    /// did not make: no endpoint is put on it and it gets no rules until a reconciliation
    /// finds it free.
    let takenBridges = Mutex<Set<String>>([])

    package init(dataplane: any Dataplane, logger: Logger) {
        self.dataplane = dataplane
        self.logger = logger
    }

    package var driverMode: DriverMode { .bridge }

    // MARK: networks

    package func networkRecord(for request: SwiftnetDriver.NetworkRequest) throws -> NetworkRecord {
        // Derived even when a name is chosen: that is what checks the id is safe.
        let derivedBridge = try InterfaceNames.bridge(networkID: request.id)
        return NetworkRecord(id: request.id, bridge: request.options.bridgeName ?? derivedBridge, options: request.options,
                             subnets: request.subnets, state: .creating)
    }

    package func admit(_ network: NetworkRecord, records: DriverState) throws -> NetworkRecord {
        // macvlan and ipvlan options (`-o parent=…`) are refused, not ignored: without
        // `swiftnet.mode` they would quietly make a bridge.
        _ = try LANNetworkOptions(generic: network.options.generic)
        if let owner = records.networks.values.first(where: { $0.bridge == network.bridge }) {
            throw DriverError.bridgeNameInUse(network.bridge, by: "swiftnet network \(owner.id.prefix(12))")
        }
        if try dataplane.linkExists(network.bridge) {
            throw DriverError.bridgeNameInUse(network.bridge, by: "an existing interface")
        }
        // Two bridges on one subnet would both route it (and may carry one gateway twice), as
        // Docker's bridge driver refuses. Reached only through another IPAM: swiftnet's own
        // refuses overlapping pools first.
        for other in records.networks.values where other.id != network.id && (other.mode == .bridge || other.mode == .overlay) {
            for subnet in network.subnets {
                if let clash = other.subnets.first(where: { $0.pool.overlaps(subnet.pool) }) {
                    throw DriverError.subnetInUse(subnet.pool.description, clash: clash.pool.description, network: other.id, bridge: other.bridge)
                }
            }
        }
        // Nor a subnet of a bridge swiftnet did not make (Docker's own networks: dockerd
        // refuses a subnet one of them has, but cannot know swiftnet's, and swiftnet sees
        // Docker's only in the kernel). Both bridges would route it, and two containers could
        // hold one address.
        try BridgeMode.refuseForeignBridgeSubnets(of: network, links: dataplane)
        // Before anything is recorded: a network whose isolation cannot work is refused.
        if !network.options.interContainer {
            try dataplane.enableBridgeNetfilter(ipv6: BridgeMode.hasIPv6(network))
        }
        return network
    }

    package func createNetworkLinks(_ network: NetworkRecord) throws {
        try dataplane.createBridge(name: network.bridge, mtu: network.options.mtu,
                                   addresses: BridgeMode.gatewayAddresses(network), ipv6: network.options.ipv6)
        if BridgeMode.forwardsIPv6(network) { try dataplane.enableIPv6Forwarding() }
    }

    /// Throws `subnetOnForeignBridge` when a bridge of another group (not this server's)
    /// holds an address whose prefix overlaps a subnet of `network`. IPv6 link-local
    /// addresses (every interface has one) are not subnets of anyone's.
    static func refuseForeignBridgeSubnets(of network: NetworkRecord, links: any Dataplane) throws {
        for link in try links.links(holdingAddressesIn: network.subnets.map(\.pool))
        where link.kind == "bridge" && link.group != links.group {
            for held in link.addresses {
                guard let prefix = IPPrefix(address: held.address, length: held.prefixLength),
                      let subnet = network.subnets.first(where: { $0.pool.overlaps(prefix) }) else { continue }
                throw DriverError.subnetOnForeignBridge(subnet.pool.description, held: "\(held.address)/\(held.prefixLength)", bridge: link.name)
            }
        }
    }

    /// An IPv6 network with a way out: its containers need the host to forward IPv6 (dockerd
    /// turns it on for its own IPv6 networks; a host without one has it off).
    static func forwardsIPv6(_ network: NetworkRecord) -> Bool {
        !network.options.isInternal && network.subnets.contains { $0.pool.family == .v6 }
    }

    @discardableResult
    package func deleteNetworkLinks(_ network: NetworkRecord, records: DriverState) throws -> [String] {
        takenBridges.withLock { _ = $0.remove(network.id) }
        if try dataplane.deleteOwnBridge(network.bridge) { return ["bridge \(network.bridge)"] }
        if try dataplane.linkExists(network.bridge) {
            logger.warning("left \(network.bridge) alone: swiftnet did not make that link", metadata: ["network": "\(network.id.prefix(12))"])
        }
        return []
    }

    // MARK: endpoints

    package func endpointLinkNames(endpointID: String) throws -> EndpointLinkNames {
        let names = try InterfaceNames.veths(endpointID: endpointID)
        return EndpointLinkNames(host: names.host, container: names.container)
    }

    package func takesMAC(on network: NetworkRecord) -> Bool { true }

    package func admitEndpoint(on network: NetworkRecord, records: DriverState, requestsMAC: Bool) throws {
        try admitEndpoint(on: network, records: records, requestsMAC: requestsMAC, otherPorts: 0)
    }

    /// `otherPorts`: ports on the bridge that are not endpoints (an overlay network's VXLAN device).
    package func admitEndpoint(on network: NetworkRecord, records: DriverState, requestsMAC: Bool, otherPorts: Int) throws {
        if takenBridges.withLock({ $0.contains(network.id) }) {
            throw DriverError.bridgeNameInUse(network.bridge, by: "a link swiftnet did not make; free the name, then run swiftnet doctor --fix")
        }
        if !BridgeMode.hasRoom(endpoints: records.endpoints.liveCount(of: network.id), otherPorts: otherPorts) {
            throw DriverError.bridgeFull(network: network.id, bridge: network.bridge, limit: LinkManager.maximumBridgePorts)
        }
    }

    /// Whether a bridge with `endpoints` veths and `otherPorts` other devices on it takes one
    /// more veth: each is one port. (Endpoints being deleted are not counted: their veths leave
    /// within 50 ms, and if one still holds the port the kernel's refusal reads the same, see
    /// `createEndpointLinks`.)
    package static func hasRoom(endpoints: Int, otherPorts: Int = 0) -> Bool {
        endpoints + otherPorts < LinkManager.maximumBridgePorts
    }

    package func createEndpointLinks(_ endpoint: EndpointRecord, on network: NetworkRecord) throws {
        do {
            try dataplane.createEndpoint(host: endpoint.hostVeth, container: endpoint.containerVeth, bridge: network.bridge,
                                         mtu: network.options.mtu, mac: endpoint.mac, endpointID: endpoint.id)
        } catch KernelError.bridgeFull {
            throw DriverError.bridgeFull(network: network.id, bridge: network.bridge, limit: LinkManager.maximumBridgePorts)
        }
    }

    @discardableResult
    package func deleteEndpointLinks(_ endpoint: EndpointRecord) throws -> Bool {
        try dataplane.deleteEndpointLink(endpoint.hostVeth, endpointID: endpoint.id)
    }

    package func retireEndpointLinks(_ endpoint: EndpointRecord) throws {
        try dataplane.retire(endpoint.hostVeth, endpointID: endpoint.id)
    }

    package func deleteRetiredLinks() throws {
        try dataplane.deleteRetired()
    }

    /// The host veth goes with the container's namespace. A link of its name whose alias names
    /// another endpoint is not its veth. An endpoint whose container end is in the host's
    /// namespace a minute after its Join, Leave or creation lost its container too (see
    /// `EndpointRecord.lostItsContainer`).
    package func goneReason(_ endpoint: EndpointRecord, links: [String: ObservedLink], now: Int) -> String? {
        guard let veth = links[endpoint.hostVeth], veth.mayBelong(toEndpoint: endpoint.id) else {
            return "its veth \(endpoint.hostVeth) is gone"
        }
        if endpoint.lostItsContainer(links: links, now: now) {
            return endpoint.sandboxKey != nil ? "its container's interface \(endpoint.containerVeth) is back in the host's namespace"
                : "it was left or never joined over a minute ago (dockerd gave up on it)"
        }
        return nil
    }

    // MARK: Join, ports, firewall

    /// The network's gateways; an internal network gives no way out, so no default route either.
    package func joinAnswer(for endpoint: EndpointRecord, on network: NetworkRecord) -> JoinAnswer {
        let isInternal = network.options.isInternal
        return JoinAnswer(sourceName: endpoint.containerVeth,
                          destinationPrefix: network.options.containerInterfacePrefix,
                          gateway: isInternal ? nil : endpoint.address.flatMap { network.gateway(for: $0.address) },
                          gatewayIPv6: isInternal ? nil : endpoint.addressIPv6.flatMap { network.gateway(for: $0.address) })
    }

    package func publishesPorts(on network: NetworkRecord) -> Bool { true }

    /// The container reaching its own published port through a host address: its DNAT'ed
    /// packet must leave by the bridge port it came in by.
    package func portsPublished(_ endpoint: EndpointRecord) {
        do {
            try dataplane.enableHairpin(endpoint.hostVeth)
        } catch {
            logger.warning("could not enable hairpin mode; the container cannot reach its own published ports through the host",
                           metadata: ["endpoint": "\(endpoint.id.prefix(12))", "error": "\(error)"])
        }
    }

    /// Every network except those whose bridge name is taken by a link swiftnet did not make,
    /// and their endpoints. Rules name interfaces, so rules for such a network would decide
    /// the traffic of someone else's interface (`-i lan0 ! -o lan0 -j ACCEPT` first in FORWARD
    /// would forward the host's LAN past its DROP policy).
    package func firewallRecords(networks: [NetworkRecord], endpoints: [EndpointRecord],
                                 links: [String: ObservedLink]?) -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        var taken = takenBridges.withLock { $0 }
        if let links {
            for network in networks where links[network.bridge].map({ !$0.isBridge(madeBy: dataplane.group) }) == true {
                taken.insert(network.id)
            }
        }
        let rendered = networks.filter { !taken.contains($0.id) }
        let ids = Set(rendered.map(\.id))
        return (rendered, endpoints.filter { ids.contains($0.networkID) })
    }

    static func hasIPv6(_ network: NetworkRecord) -> Bool {
        network.options.ipv6 || network.subnets.contains { $0.pool.family == .v6 }
    }

    static func gatewayAddresses(_ network: NetworkRecord) -> [InterfaceAddress] {
        network.subnets.compactMap { subnet in
            subnet.gateway.map { InterfaceAddress(address: $0, prefixLength: subnet.pool.length) }
        }
    }
}
