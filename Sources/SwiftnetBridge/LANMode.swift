import Logging
import SwiftnetAddress
import SwiftnetCrashPoints
import SwiftnetDiagnosis
import SwiftnetKernel
import SwiftnetLANModel
import SwiftnetNetworkModel

/// `swiftnet.mode=macvlan` and `swiftnet.mode=ipvlan`: each container's interface is a child of
/// the network's parent link, so the container sits on the parent's LAN with its own address.
/// No bridge, no NAT, no published ports. One type for both: they differ only in the child's
/// kind, which the network's options give (`LANNetworkOptions`).
///
/// The record's `bridge` is the parent's name; `ownsLink` says swiftnet made it (a missing
/// `eth0.50`, or a dummy for a network given no parent) and deletes it with the last network
/// on it; `hostShim` is the host's own interface on the network, if asked for.
package final class LANMode: NetworkMode {
    package let driverMode: DriverMode
    let dataplane: any LANDataplane
    let logger: Logger

    /// The aux address (`--aux-address host_shim=ADDRESS`) the host shim takes.
    package static let hostShimAuxName = "host_shim"
    package static let shimPrefix = "sws-"

    package init(_ mode: DriverMode, dataplane: any LANDataplane, logger: Logger) {
        precondition(mode == .macvlan || mode == .ipvlan, "LANMode is for macvlan and ipvlan")
        self.driverMode = mode
        self.dataplane = dataplane
        self.logger = logger
    }

    // MARK: the network's settings, from its record

    /// The options a LAN record was made from (they were checked when it was).
    static func options(of network: NetworkRecord) -> LANNetworkOptions {
        (try? LANNetworkOptions(generic: network.options.generic)) ?? LANNetworkOptions()
    }

    static func childKind(of network: NetworkRecord) -> LANLinkKind {
        options(of: network).childKind ?? .macvlan(.bridge)
    }

    /// A network on a dummy parent leads nowhere: internal whatever `--internal` says.
    static func isInternal(_ network: NetworkRecord) -> Bool {
        network.options.isInternal || options(of: network).parent == nil
    }

    /// The host shim's link name: `sws-` and the network id's first 10 hex digits.
    static func shimName(_ network: NetworkRecord) -> String {
        shimPrefix + network.id.prefix(10)
    }

    /// Where the parent came from, as recorded.
    static func parentPlan(of network: NetworkRecord) throws -> ParentPlan {
        let lan = options(of: network)
        guard network.ownsLink else { return .existing(try ParentLink(network.bridge)) }
        guard let parent = lan.parent else { return .createDummy(name: network.bridge) }
        return .createVLAN(try parent.vlanSubinterface())
    }

    /// The shim's routes: the network's subnets of the shim's family.
    static func shimRoutes(_ network: NetworkRecord, shim: InterfaceAddress) -> [IPPrefix] {
        network.subnets.map(\.pool).filter { $0.family == shim.address.family }
    }

    static func isLAN(_ network: NetworkRecord) -> Bool {
        network.mode == .macvlan || network.mode == .ipvlan
    }

    // MARK: networks

    package func networkRecord(for request: SwiftnetDriver.NetworkRequest) throws -> NetworkRecord {
        _ = try InterfaceNames.bridge(networkID: request.id)  // checks the id names links safely
        let lan = try LANNetworkOptions(generic: request.options.generic)
        guard lan.mode == driverMode, let childKind = lan.childKind else {
            throw LANModelError.invalidOption(key: DriverMode.key, value: lan.mode.rawValue, expected: driverMode.rawValue)
        }
        let plan = try ParentPlan.decide(lan.parent, childKind: childKind, networkID: request.id,
                                         linkExists: { (try? self.dataplane.linkExists($0)) ?? false })
        var shim: InterfaceAddress?
        if lan.hostShim {
            guard let address = request.auxAddresses[LANMode.hostShimAuxName] else {
                throw LANModelError.hostShimUnsupported(
                    reason: "it needs an address from the pool: add --aux-address \(LANMode.hostShimAuxName)=ADDRESS")
            }
            guard let subnet = request.subnets.first(where: { $0.pool.contains(address) }) else {
                throw LANModelError.hostShimUnsupported(reason: "its address \(address) is in none of the network's subnets")
            }
            let shimPlan = try HostShimPlan.plan(childKind, parent: lan.parent, address: address, containerRange: subnet.pool)
            shim = InterfaceAddress(address: shimPlan.address, prefixLength: shimPlan.prefixLength)
        }
        return NetworkRecord(id: request.id, bridge: plan.linkName, options: request.options, subnets: request.subnets,
                             state: .creating, ownsLink: plan.isOwned, hostShim: shim)
    }

    /// The kernel can make what the network needs, and its parent can be shared with the
    /// networks already on it. A parent another network made is owned by this one too.
    package func admit(_ network: NetworkRecord, records: DriverState) throws -> NetworkRecord {
        var network = network
        let childKind = LANMode.childKind(of: network)
        let plan = try LANMode.parentPlan(of: network)
        if let missing = try dataplane.missingSupport(KernelLinkType.required(by: childKind, parent: plan)) {
            throw DriverError.kernelLacks(missing)
        }
        // A bridge swiftnet made for another network goes with that network.
        if let owner = records.networks.values.first(where: { !LANMode.isLAN($0) && $0.bridge == network.bridge }) {
            throw LANModelError.parentInUse(parent: network.bridge,
                                            reason: "it is the bridge of swiftnet network \(owner.id.prefix(12)), deleted with it")
        }
        let others = records.networks.values.filter { LANMode.isLAN($0) && $0.id != network.id }
        try ParentSharing.check(childKind, on: network.bridge, existing: others.map {
            ParentUse(network: String($0.id.prefix(12)), parent: $0.bridge, childKind: LANMode.childKind(of: $0))
        })
        if others.contains(where: { $0.bridge == network.bridge && $0.ownsLink }) { network.ownsLink = true }
        if let shim = network.hostShim, try dataplane.linkExists(LANMode.shimName(network)) {
            throw LANModelError.hostShimUnsupported(reason: "a link named \(LANMode.shimName(network)) exists already (for \(shim))")
        }
        return network
    }

    package func createNetworkLinks(_ network: NetworkRecord) throws {
        let plan = try LANMode.parentPlan(of: network)
        if plan.isOwned, try !dataplane.linkExists(plan.linkName) {
            try dataplane.createOwnedParent(plan)
            CrashPoint.reach("network.create.parent")
        }
        if let shim = network.hostShim {
            try dataplane.createShim(name: LANMode.shimName(network), parent: network.bridge, kind: LANMode.shimKind(network),
                                     address: shim, routes: LANMode.shimRoutes(network, shim: shim), mtu: network.options.mtu)
            CrashPoint.reach("network.create.shim")
        }
    }

    /// The shim is a sibling that may talk to the containers: macvlan bridge, or ipvlan with
    /// the network's mode and the bridge flag (HostShimPlan refused every other case).
    static func shimKind(_ network: NetworkRecord) -> LANLinkKind {
        switch childKind(of: network) {
        case .ipvlan(let mode, _): return .ipvlan(mode, .bridge)
        default: return .macvlan(.bridge)
        }
    }

    @discardableResult
    package func deleteNetworkLinks(_ network: NetworkRecord, records: DriverState) throws -> [String] {
        var deleted: [String] = []
        if network.hostShim != nil, try dataplane.deleteOwnLink(LANMode.shimName(network)) {
            deleted.append("host shim \(LANMode.shimName(network))")
        }
        let sharedWith = records.networks.values.filter { LANMode.isLAN($0) && $0.id != network.id && $0.bridge == network.bridge }
        if network.ownsLink, sharedWith.isEmpty, try dataplane.deleteOwnLink(network.bridge) {
            deleted.append("parent \(network.bridge)")
        }
        return deleted
    }

    // MARK: endpoints

    /// One link, the container's: `swc…`, named as a bridge endpoint's container end.
    package func endpointLinkNames(endpointID: String) throws -> EndpointLinkNames {
        let names = try InterfaceNames.veths(endpointID: endpointID)
        return EndpointLinkNames(host: names.container, container: names.container)
    }

    package func admitEndpoint(on network: NetworkRecord, records: DriverState, requestsMAC: Bool) throws {
        let childKind = LANMode.childKind(of: network)
        try LANEndpointRules.check(childKind, parent: network.bridge, requestsMAC: requestsMAC,
                                   childrenOnParent: records.liveEndpoints(of: network.id).count + (network.hostShim == nil ? 0 : 1))
        guard try dataplane.linkExists(network.bridge) else { throw LANModelError.parentMissing(network.bridge) }
    }

    package func takesMAC(on network: NetworkRecord) -> Bool {
        switch LANMode.childKind(of: network) {
        case .macvlan(.passthru), .ipvlan: return false
        default: return true
        }
    }

    package func createEndpointLinks(_ endpoint: EndpointRecord, on network: NetworkRecord) throws {
        try dataplane.createChild(name: endpoint.containerVeth, parent: network.bridge, kind: LANMode.childKind(of: network),
                                  mac: takesMAC(on: network) ? endpoint.mac : nil, mtu: network.options.mtu, endpointID: endpoint.id)
    }

    /// A child already gone (with its container's namespace) is no error.
    @discardableResult
    package func deleteEndpointLinks(_ endpoint: EndpointRecord) throws -> Bool {
        try dataplane.deleteEndpointLink(endpoint.containerVeth, endpointID: endpoint.id)
    }

    package func retireEndpointLinks(_ endpoint: EndpointRecord) throws {
        try dataplane.retire(endpoint.containerVeth, endpointID: endpoint.id)
    }

    package func deleteRetiredLinks() throws {
        try dataplane.deleteRetired()
    }

    /// The child lives in the container's namespace while it runs, so the host's links cannot
    /// show it gone: only an earlier boot (the driver's own check) frees such an endpoint.
    package func goneReason(_ endpoint: EndpointRecord, links: [String: ObservedLink], now: Int) -> String? { nil }

    // MARK: Join, ports, firewall

    package func joinAnswer(for endpoint: EndpointRecord, on network: NetworkRecord) -> JoinAnswer {
        let v4 = network.subnets.first { $0.pool.family == .v4 }
        let v6 = network.subnets.first { $0.pool.family == .v6 }
        let decided = LANJoinAnswer.decide(LANMode.childKind(of: network), isInternal: LANMode.isInternal(network),
                                           ipv4Subnet: endpoint.address == nil ? nil : v4?.pool,
                                           gatewayIPv4: endpoint.address.flatMap { network.gateway(for: $0.address) },
                                           ipv6Subnet: endpoint.addressIPv6 == nil ? nil : v6?.pool,
                                           gatewayIPv6: endpoint.addressIPv6.flatMap { network.gateway(for: $0.address) })
        return JoinAnswer(sourceName: endpoint.containerVeth, destinationPrefix: network.options.containerInterfacePrefix,
                          gateway: decided.gatewayIPv4, gatewayIPv6: decided.gatewayIPv6, connectedRoutes: decided.connectedRoutes,
                          disableGatewayService: decided.disableGatewayService)
    }

    /// A container on the LAN is reached by its own address (Docker's drivers ignore `-p` too).
    package func publishesPorts(on network: NetworkRecord) -> Bool { false }

    package func portsPublished(_ endpoint: EndpointRecord) {}

    /// No rules: the LAN's traffic is the LAN's.
    package func firewallRecords(networks: [NetworkRecord], endpoints: [EndpointRecord],
                                 links: [String: ObservedLink]?) -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        ([], [])
    }
}
