import SwiftnetFirewall
import SwiftnetIPAM
import SwiftnetNetworkModel
import SwiftnetDiagnosis

/// `FirewallProgrammer` on swiftnet's iptables chains: turns the records into the firewall
/// module's desired state, which it renders whole and applies in one batch per family.
package struct IptablesFirewall: FirewallProgrammer {
    let firewall: Firewall

    package init(firewall: Firewall) {
        // The rules branch on, and drop by wildcard, the bridge names the network model
        // derives; the firewall knows no network model, so it keeps its own copy.
        assert(FirewallChains.bridgePrefix == InterfaceNames.bridgePrefix, "the firewall's bridge prefix is not the bridges'")
        self.firewall = firewall
    }

    @discardableResult
    package func apply(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> Int {
        let (rules, bindings) = IptablesFirewall.desired(networks: networks, endpoints: endpoints)
        return try firewall.apply(networks: rules, bindings: bindings)
    }

    @discardableResult
    package func applyChange(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> Int {
        let (rules, bindings) = IptablesFirewall.desired(networks: networks, endpoints: endpoints)
        return try firewall.applyChange(networks: rules, bindings: bindings)
    }

    @discardableResult
    package func applyChange(networks: [NetworkRecord], endpointTable: EndpointTable) throws -> Int {
        let (rules, bindings) = IptablesFirewall.desired(networks: networks, endpoints: endpointTable.values)
        return try firewall.applyChange(networks: rules, bindings: bindings)
    }

    /// Hands the firewall the bindings of the one endpoint that changed (see
    /// `Firewall.applyChange(networks:removing:adding:all:)`): building the bindings of every
    /// endpoint and checking them again cost more than the rest of a container start.
    @discardableResult
    package func applyChange(networks: [NetworkRecord], endpointTable: EndpointTable, replacing previous: EndpointRecord,
                             with updated: EndpointRecord) throws -> Int {
        let (rules, removing) = IptablesFirewall.desired(networks: networks, endpoints: [previous])
        let adding = IptablesFirewall.desired(networks: networks, endpoints: [updated]).1
        return try firewall.applyChange(networks: rules, removing: removing, adding: adding) {
            IptablesFirewall.desired(networks: networks, endpoints: endpointTable.values).1
        }
    }

    package func guardRules() throws -> Int {
        try firewall.guardRules()
    }

    package var knowsWhatItInstalled: Bool { firewall.knowsWhatItInstalled }
    package var guardJumpRepairCount: Int { firewall.guardJumpRepairCount }

    package func drift(networks: [NetworkRecord], endpoints: [EndpointRecord]) throws -> (drift: FirewallDrift, rules: Int) {
        let (rules, bindings) = IptablesFirewall.desired(networks: networks, endpoints: endpoints)
        let found = try firewall.drift(networks: rules, bindings: bindings)
        var drift = FirewallDrift()
        for difference in found.differences {
            let rule = FirewallDrift.Rule(family: difference.family == .v4 ? "ipv4" : "ipv6", table: difference.table,
                                          rule: difference.rule)
            switch difference.kind {
            case .missing: drift.missing.append(rule)
            case .unexpected: drift.unexpected.append(rule)
            case .misordered: drift.misordered.append(rule)
            case .missingJump: drift.missingJumps.append(rule)
            case .jumpNotFirst: drift.jumpsNotFirst.append(rule)
            }
        }
        return (drift, found.rules)
    }

    /// In the records' order: the firewall's rendering does not depend on it (see
    /// `FirewallState`), and sorting every endpoint on each change cost more than the change.
    static func desired(networks: [NetworkRecord], endpoints: [EndpointRecord]) -> ([FirewallNetwork], [FirewallPortBinding]) {
        desired(networks: networks, endpoints: endpoints, at: endpoints.indices)
    }

    static func desired(networks: [NetworkRecord], endpoints: Dictionary<String, EndpointRecord>.Values)
        -> ([FirewallNetwork], [FirewallPortBinding]) {
        desired(networks: networks, endpoints: endpoints, at: endpoints.indices)
    }

    /// Reads each record in place through its index (a loop over the records would copy every
    /// one, retaining each of its strings and arrays), and only the endpoints that publish
    /// ports: only those give rules beside their networks'.
    private static func desired<Records: Collection<EndpointRecord>>(networks: [NetworkRecord], endpoints: Records,
                                                                   at indices: Records.Indices)
        -> ([FirewallNetwork], [FirewallPortBinding]) {
        var live: [String: NetworkRecord] = [:]
        for network in networks where network.state != .deleting { live[network.id] = network }
        let rules = live.values.map { network in
            FirewallNetwork(bridge: network.bridge, subnets: network.subnets.map(\.pool), isInternal: network.options.isInternal,
                            interContainer: network.options.interContainer, masquerade: network.options.masquerade,
                            sequence: network.sequence)
        }
        var bindings: [FirewallPortBinding] = []
        var last: NetworkRecord?
        for index in indices where !endpoints[index].publishedPorts.isEmpty && endpoints[index].state != .deleting {
            // Endpoints are often all of one network: one lookup per run of them.
            let network: NetworkRecord
            if let last, last.id == endpoints[index].networkID {
                network = last
            } else {
                guard let found = live[endpoints[index].networkID] else { continue }
                network = found
                last = found
            }
            guard !network.options.isInternal else { continue }
            let addresses = (endpoints[index].address?.address, endpoints[index].addressIPv6?.address)
            for port in endpoints[index].publishedPorts {
                for container in [addresses.0, addresses.1] {
                    guard let container else { continue }
                    if let hostIP = port.hostIP, hostIP.family != container.family { continue }
                    bindings.append(FirewallPortBinding(bridge: network.bridge, proto: port.proto.rawValue, hostIP: port.hostIP,
                                                        hostPort: port.hostPort, containerIP: container,
                                                        containerPort: port.containerPort))
                }
            }
        }
        return (rules, bindings)
    }
}
