import SwiftnetDiagnosis
import SwiftnetNetworkModel

extension BridgeMode {
    /// The bridge with exactly its gateway addresses and MTU, up; br_netfilter on again for
    /// `enable_icc=false`. A bridge name taken by a link swiftnet did not make is left alone,
    /// and the network gets no endpoints or rules until a reconciliation finds it free.
    package func repairNetwork(_ network: NetworkRecord) -> [Repair] {
        let subject = Repair.network(network.id)
        var repairs: [Repair] = []
        do {
            let changes = try dataplane.ensureBridge(name: network.bridge, mtu: network.options.mtu,
                                                     addresses: BridgeMode.gatewayAddresses(network), ipv6: network.options.ipv6)
            repairs += changes.map { Repair(subject: subject, action: "\($0) (network \(network.id.prefix(12)))") }
            takenBridges.withLock { _ = $0.remove(network.id) }
            if BridgeMode.forwardsIPv6(network), dataplane.ipv6ForwardingEnabled() == false {
                // A reboot or an administrator may have turned it off since the network was
                // made. Its failure is its own: the br_netfilter repair below still runs.
                do {
                    try dataplane.enableIPv6Forwarding()
                    repairs.append(Repair(subject: subject, action: "turned IPv6 forwarding on again (net.ipv6.conf.all.forwarding=1) for network \(network.id.prefix(12))"))
                } catch {
                    repairs.append(.failed(subject, "turn IPv6 forwarding on for network \(network.id.prefix(12))", error))
                }
            }
            if !network.options.interContainer {
                // A reboot or an administrator may have turned it off since the network was made.
                let before = dataplane.bridgeNetfilterStatus()
                try dataplane.enableBridgeNetfilter(ipv6: BridgeMode.hasIPv6(network))
                if dataplane.bridgeNetfilterStatus() != before {
                    repairs.append(Repair(subject: subject,
                                          action: "made bridged traffic pass iptables again for enable_icc=false (network \(network.id.prefix(12)))"))
                }
            }
        } catch DriverError.bridgeNameInUse(let name, let owner) {
            takenBridges.withLock { _ = $0.insert(network.id) }
            repairs.append(Repair(subject: subject, action: "repair network \(network.id.prefix(12))",
                                  outcome: .failed(reason: "its bridge name \(name) is taken by \(owner); left alone")))
        } catch {
            repairs.append(.failed(subject, "repair network \(network.id.prefix(12)) (\(network.bridge))", error))
        }
        return repairs
    }

    /// A bridge recreated by `repairNetwork` has no ports: every live endpoint's veth goes back
    /// on it (with its MTU, and hairpin mode when it publishes ports).
    package func repairEndpoints(_ endpoints: [EndpointRecord], of network: NetworkRecord,
                                 links: [String: ObservedLink]) -> [Repair] {
        guard links[network.bridge]?.isBridge(madeBy: dataplane.group) == true else { return [] }
        var repairs: [Repair] = []
        for endpoint in endpoints {
            guard let veth = links[endpoint.hostVeth], veth.mayBelong(toEndpoint: endpoint.id) else { continue }
            let subject = Repair.endpoint(endpoint.id)
            do {
                repairs += try dataplane.ensureAttached(veth, to: network.bridge, mtu: network.options.mtu,
                                                        hairpin: !endpoint.publishedPorts.isEmpty)
                    .map { Repair(subject: subject, action: $0) }
            } catch {
                repairs.append(.failed(subject, "re-attach \(endpoint.hostVeth) to \(network.bridge)", error))
            }
        }
        return repairs
    }

    /// Links this server made that no record owns (a crash between deleting the record and the
    /// link leaves one) and `swv…` veths on its bridges. Other interfaces on its bridges are
    /// left alone.
    package func deleteLeftovers(links: [String: ObservedLink], owned: Set<String>, records: DriverState) -> [Repair] {
        let bridges = Set(records.networks.values.filter { $0.mode == driverMode }.map(\.bridge)
            .filter { links[$0]?.isBridge(madeBy: dataplane.group) == true })
        var repairs: [Repair] = []
        for link in links.values.sorted(by: { $0.name < $1.name }) where !owned.contains(link.name)
            && link.leftover(ofGroup: dataplane.group, bridges: bridges) != nil {
            do {
                if try dataplane.deleteLink(link.name) {
                    repairs.append(Repair(subject: Repair.link(link.name), action: "deleted \(link.name), which no record owns"))
                }
            } catch {
                repairs.append(.failed(Repair.link(link.name), "delete \(link.name), which no record owns", error))
            }
        }
        return repairs
    }
}
