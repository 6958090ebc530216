import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetLANModel
import SwiftnetNetworkModel

extension LANMode {
    /// A parent swiftnet made is made again (after a reboot none is there) and brought up; a
    /// parent of the host's that is missing is reported, not made. A host shim that is missing
    /// or differs from its record (kind, parent, mode) is made afresh.
    package func repairNetwork(_ network: NetworkRecord) -> [Repair] {
        let subject = Repair.network(network.id)
        var repairs: [Repair] = []
        do {
            let plan = try LANMode.parentPlan(of: network)
            if let parent = try dataplane.stackedLink(network.bridge) {
                if plan.isOwned, !parent.isUp {
                    try dataplane.setUp(network.bridge)
                    repairs.append(Repair(subject: subject, action: "brought parent \(network.bridge) up (network \(network.id.prefix(12)))"))
                }
            } else if plan.isOwned {
                try dataplane.createOwnedParent(plan)
                repairs.append(Repair(subject: subject, action: "recreated parent \(network.bridge) (network \(network.id.prefix(12)))"))
            } else {
                repairs.append(Repair(subject: subject, action: "repair network \(network.id.prefix(12))",
                                      outcome: .failed(reason: "its parent link \(network.bridge) is missing; swiftnet did not make it")))
                return repairs
            }
            if let shim = network.hostShim {
                let name = LANMode.shimName(network)
                let drift = LANLinkDrift.differences(name, expected: LANMode.shimKind(network), parent: network.bridge,
                                                     observed: try dataplane.stackedLink(name)?.observed)
                if !drift.isEmpty {
                    try dataplane.deleteOwnLink(name)
                    try dataplane.createShim(name: name, parent: network.bridge, kind: LANMode.shimKind(network), address: shim,
                                             routes: LANMode.shimRoutes(network, shim: shim), mtu: network.options.mtu)
                    repairs.append(Repair(subject: subject, action: "recreated host shim \(name) (\(drift.joined(separator: "; ")))"))
                }
            }
        } catch {
            repairs.append(.failed(subject, "repair network \(network.id.prefix(12)) (parent \(network.bridge))", error))
        }
        return repairs
    }

    /// Nothing to put back: a container's interface lives in its namespace, not on a link of
    /// the host's. Children left in the host's namespace by a crash are the leftover sweep's.
    package func repairEndpoints(_ endpoints: [EndpointRecord], of network: NetworkRecord,
                                 links: [String: ObservedLink]) -> [Repair] { [] }

    /// Parents it made, host shims and the containers' interfaces.
    package func ownedLinks(networks: [NetworkRecord], endpoints: [EndpointRecord]) -> Set<String> {
        Set(networks.filter(\.ownsLink).map(\.bridge))
            .union(networks.filter { $0.hostShim != nil }.map(LANMode.shimName))
            .union(endpoints.map(\.containerVeth))
    }

    /// Every link of the server's group that no record owns is the bridge mode's sweep's
    /// (`ObservedLink.leftover` counts any link of the group): a leftover child, shim or
    /// parent goes there, so nothing is swept twice.
    package func deleteLeftovers(links: [String: ObservedLink], owned: Set<String>, records: DriverState) -> [Repair] { [] }

    /// The shims, for their addresses.
    package func addressedLinks(of networks: [NetworkRecord]) -> Set<String> {
        Set(networks.filter { $0.hostShim != nil }.map(LANMode.shimName))
    }

    /// Parent missing or down, host shim missing or without its address, a joined container's
    /// interface back in the host's namespace. Orphans of the group are the bridge mode's.
    package func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink], owned: Set<String>,
                          bootID: String) -> [Finding] {
        let byName = Dictionary(links.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var findings: [Finding] = []
        for network in networks.sorted(by: { $0.id < $1.id }) where network.state == .ready {
            let id = network.id
            if let parent = byName[network.bridge] {
                if !parent.isUp {
                    findings.append(Finding(kind: .parentDown, subject: network.bridge, networkID: id,
                                            problem: "parent link \(network.bridge) of \(network.mode.rawValue) network \(id.prefix(12)) is down",
                                            meaning: "its containers reach neither the LAN nor each other",
                                            repair: network.ownsLink ? "swiftnet doctor --fix" : "ip link set \(network.bridge) up",
                                            fixable: network.ownsLink))
                }
            } else {
                findings.append(Finding(kind: .parentMissing, subject: network.bridge, networkID: id,
                                        problem: "parent link \(network.bridge) of \(network.mode.rawValue) network \(id.prefix(12)) is missing",
                                        meaning: "new containers cannot join the network; running ones are cut off",
                                        repair: network.ownsLink ? "swiftnet doctor --fix" : "bring \(network.bridge) back, or docker network rm the network",
                                        fixable: network.ownsLink))
            }
            if let shim = network.hostShim {
                let name = LANMode.shimName(network)
                let observed = byName[name]
                let problem: String?
                if observed == nil {
                    problem = "host shim \(name) of network \(id.prefix(12)) is missing"
                } else if observed?.kind != LANMode.shimKind(network).kernelKind {
                    problem = "host shim \(name) is a \(observed?.kind ?? "physical") link, not \(LANMode.shimKind(network).kernelKind)"
                } else if observed?.addresses.contains(shim) != true {
                    problem = "host shim \(name) does not have its address \(shim)"
                } else if observed?.isUp != true {
                    problem = "host shim \(name) is down"
                } else {
                    problem = nil
                }
                if let problem, byName[network.bridge] != nil {
                    findings.append(Finding(kind: .shimDrift, subject: name, networkID: id, problem: problem,
                                            meaning: "the host cannot reach the network's containers", repair: "swiftnet doctor --fix"))
                }
            }
        }
        for endpoint in endpoints.sorted(by: { $0.id < $1.id }) where endpoint.state == .ready && endpoint.sandboxKey != nil {
            guard let link = byName[endpoint.containerVeth], link.mayBelong(toEndpoint: endpoint.id) else { continue }
            findings.append(Finding(kind: .childInHost, subject: endpoint.containerVeth, networkID: endpoint.networkID,
                                    endpointID: endpoint.id,
                                    problem: "interface \(endpoint.containerVeth) of joined endpoint \(endpoint.id.prefix(12)) is in the host's namespace",
                                    meaning: "its container has no interface on the network",
                                    repair: "restart the container (docker restart), or docker network disconnect and connect it",
                                    fixable: false))
        }
        return findings
    }
}
