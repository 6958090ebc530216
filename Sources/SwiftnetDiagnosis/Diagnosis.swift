import Glibc
import SwiftnetAddress
import SwiftnetIPAM
import SwiftnetNetworkModel

/// The doctor's comparison of records with the kernel, as a pure function so that every
/// finding is unit tested without root. The effects side gathers `links` and `firewall`;
/// `swiftnet doctor --fix` repairs through the server's start-up reconciliation, which is
/// why every fixable finding's repair names it.
package enum Diagnosis {
    package static let fixCommand = "swiftnet doctor --fix"
    package static let gcCommand = "swiftnet gc"

    /// The links' findings, then the firewall's.
    package static func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink],
                                firewall: FirewallDrift, bootID: String, linkGroup: UInt32) -> [Finding] {
        findings(networks: networks, endpoints: endpoints, links: links, bootID: bootID, linkGroup: linkGroup)
            + findings(firewall: firewall, networks: networks)
    }

    /// Bridge networks and their endpoints against the kernel's links: missing or foreign
    /// bridges, veths gone or detached, links nobody's record owns. `ownedElsewhere`: links
    /// the records of other kinds of network own (they carry the same link group). `now`:
    /// unix seconds, for how long ago an endpoint was joined.
    package static func findings(networks: [NetworkRecord], endpoints: [EndpointRecord], links: [ObservedLink],
                                bootID: String, linkGroup: UInt32, ownedElsewhere: Set<String> = [],
                                now: Int = Int(time(nil))) -> [Finding] {
        let byName = Dictionary(links.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var findings: [Finding] = []
        let sortedNetworks = networks.sorted { $0.id < $1.id }
        let sortedEndpoints = endpoints.sorted { $0.id < $1.id }
        // Only bridges this swiftnet made: what hangs on a bridge of the same name that
        // someone else made is not ours to call orphaned.
        let bridges = Dictionary(networks.filter { byName[$0.bridge]?.isBridge(madeBy: linkGroup) == true }
                                     .map { ($0.bridge, $0) }, uniquingKeysWith: { first, _ in first })

        for network in sortedNetworks {
            findings += check(network: network, link: byName[network.bridge], linkGroup: linkGroup)
        }
        let networkByID = Dictionary(networks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for endpoint in sortedEndpoints {
            findings += check(endpoint: endpoint, network: networkByID[endpoint.networkID], links: byName, bootID: bootID, now: now)
        }

        // Links nobody's record owns: made by this swiftnet (its link group), or attached to
        // one of its bridges by someone else.
        let owned = Set(networks.map(\.bridge)).union(endpoints.map(\.hostVeth)).union(ownedElsewhere)
        for link in links.sorted(by: { $0.name < $1.name }) where !owned.contains(link.name) {
            switch link.leftover(ofGroup: linkGroup, bridges: Set(bridges.keys)) {
            case .onBridge(let master)?:
                findings.append(Finding(
                    kind: .orphanVeth, subject: link.name, networkID: bridges[master]?.id,
                    problem: "\(link.name) is attached to \(master) but no endpoint of network \(short(bridges[master]?.id ?? "")) owns it",
                    meaning: "a leftover of a container swiftnet no longer knows: it holds no address swiftnet can see, and whatever is behind it can talk on the network",
                    repair: "\(fixCommand) (deletes it), or: ip link del \(link.name)"))
            case .made?:
                findings.append(Finding(
                    kind: .orphanLink, subject: link.name,
                    problem: "\(link.name) was made by this swiftnet (link group \(linkGroup)) but no record owns it",
                    meaning: "a leftover of an interrupted delete; harmless but it takes a name and kernel memory",
                    repair: "\(fixCommand) (deletes it), or: ip link del \(link.name)"))
            case .retired?:
                continue  // being deleted in the background
            case nil:
                guard let master = link.master, let network = bridges[master] else { continue }
                findings.append(Finding(
                    kind: .foreignPort, subject: link.name, networkID: network.id,
                    problem: "\(link.name) (\(link.kind ?? "device")) was attached to \(master) by something other than swiftnet",
                    meaning: "it shares the network with the containers; if that is not intended it bypasses swiftnet's addressing",
                    repair: "ip link set \(link.name) nomaster", fixable: false))
            }
        }
        return findings
    }

    /// The installed firewall against what the records render to (`networks`: to name the
    /// network a missing rule is for).
    package static func findings(firewall: FirewallDrift, networks: [NetworkRecord]) -> [Finding] {
        var findings: [Finding] = []
        for rule in firewall.missingJumps {
            findings.append(Finding(
                kind: .jumpMissing, subject: "\(rule.family) \(rule.table) \(rule.rule)",
                problem: "built-in chain lacks swiftnet's jump: \(rule.rule) (\(rule.family) \(rule.table))",
                meaning: "none of swiftnet's rules in that chain are consulted: " + jumpMeaning(rule.rule),
                repair: fixCommand))
        }
        for rule in firewall.jumpsNotFirst {
            findings.append(Finding(
                kind: .jumpNotFirst, subject: "\(rule.family) \(rule.table) \(rule.rule)",
                problem: "swiftnet's jump is not where it belongs in FORWARD (\(rule.family)): right after the jump to DOCKER-USER, or first without one: \(rule.rule)",
                meaning: "rules above it (dockerd inserts its own on every start) decide first: Docker's bridges' traffic may get past swiftnet's isolation; or, placed above DOCKER-USER, the user's rules there do not see swiftnet's traffic",
                repair: "\(fixCommand) (the server also moves it back within 5 s)"))
        }
        for rule in firewall.misordered {
            findings.append(Finding(
                kind: .ruleOrder, subject: "\(rule.family) \(rule.table) \(rule.rule)",
                problem: "swiftnet's \(rule.family) \(rule.table) rules are all there but out of order, first at: \(rule.rule)",
                meaning: "a later rule may decide before the one meant to: traffic may be dropped or let through against the networks' settings",
                repair: fixCommand))
        }
        for rule in firewall.missing {
            findings.append(Finding(
                kind: .ruleMissing, subject: "\(rule.family) \(rule.table) \(rule.rule)",
                networkID: networks.first { rule.rule.contains(" \($0.bridge) ") || rule.rule.hasSuffix(" \($0.bridge)") }?.id,
                problem: "missing \(rule.family) \(rule.table) rule: \(rule.rule)",
                meaning: ruleMeaning(rule.rule), repair: fixCommand))
        }
        for rule in firewall.unexpected {
            findings.append(Finding(
                kind: .ruleUnexpected, subject: "\(rule.family) \(rule.table) \(rule.rule)",
                problem: "\(rule.family) \(rule.table) rule in swiftnet's chains that its records do not explain: \(rule.rule)",
                meaning: "traffic may be let through or dropped against the networks' settings",
                repair: fixCommand))
        }
        return findings
    }

    /// Networks with `enable_icc=false` whose bridged traffic iptables does not see: their
    /// containers talk to each other freely.
    package static func findings(networks: [NetworkRecord], bridgeNetfilter: BridgeNetfilterStatus) -> [Finding] {
        var findings: [Finding] = []
        for network in networks.sorted(by: { $0.id < $1.id }) where network.state == .ready && !network.options.interContainer {
            for (family, setting, enabled) in [(IPFamily.v4, "bridge-nf-call-iptables", bridgeNetfilter.iptables),
                                               (IPFamily.v6, "bridge-nf-call-ip6tables", bridgeNetfilter.ip6tables)]
            where network.subnets.contains(where: { $0.pool.family == family }) && enabled != true {
                let why = enabled == nil ? "the br_netfilter kernel module is not loaded" : "net.bridge.\(setting) is 0"
                findings.append(Finding(
                    kind: .iccNotEnforced, subject: "net.bridge.\(setting)", networkID: network.id,
                    problem: "network \(short(network.id)) sets enable_icc=false but \(why)",
                    meaning: "iptables never sees traffic between its containers: they reach each other despite enable_icc=false",
                    repair: "\(fixCommand) (loads br_netfilter where it can and sets net.bridge.\(setting)=1)"))
            }
        }
        return findings
    }

    /// IPv6 networks with a way out (`ipv6Networks`) while the host does not forward IPv6.
    package static func findings(ipv6Networks: [NetworkRecord], forwarding: Bool?) -> [Finding] {
        guard forwarding == false else { return [] }
        return ipv6Networks.sorted(by: { $0.id < $1.id }).filter { $0.state == .ready }.map { network in
            Finding(kind: .ipv6ForwardingOff, subject: "net.ipv6.conf.all.forwarding", networkID: network.id,
                    problem: "network \(short(network.id)) has IPv6 subnets but net.ipv6.conf.all.forwarding is 0",
                    meaning: "its containers reach nothing beyond the host over IPv6, and its IPv6 published ports are not reached from other networks",
                    repair: "\(fixCommand) (sets net.ipv6.conf.all.forwarding=1 and default.forwarding=1, as dockerd does)")
        }
    }

    /// Findings for addresses no endpoint holds (see `LeakedAddress`), `minimumAge` seconds old or more.
    package static func findings(leaked: [LeakedAddress], minimumAge: Int) -> [Finding] {
        leaked.map { leak in
            Finding(kind: .addressLeaked, subject: leak.address.description, networkID: leak.networkID,
                    problem: "address \(leak.address) in pool \(leak.poolID) was handed out \(minimumAge) s ago or more, and no endpoint of network \(short(leak.networkID)) holds it",
                    meaning: "a call whose answer dockerd never got (swiftnet stopped in between) left it; it is not handed out again until freed",
                    repair: "\(gcCommand) (or \(fixCommand))")
        }
    }

    /// An endpoint of multi-host network `network` uses `address`, which etcd holds for
    /// `holder` (another host) or for nobody.
    package static func unclaimed(address: IPAddress, network: String, networkID: String, endpointID: String,
                                  holder: String?) -> Finding {
        if let holder {
            return Finding(kind: .addressUnclaimed, subject: address.description, networkID: networkID, endpointID: endpointID,
                           problem: "endpoint \(short(endpointID)) uses \(address) of multi-host network \(network), which host \(holder) holds in etcd",
                           meaning: "two containers share the address (as when gc --node freed this host's claims while it was away, and the address was given again)",
                           repair: "remove one of the two containers (docker rm -f), then \(fixCommand) here", fixable: false)
        }
        return Finding(kind: .addressUnclaimed, subject: address.description, networkID: networkID, endpointID: endpointID,
                       problem: "endpoint \(short(endpointID)) uses \(address) of multi-host network \(network), which etcd holds for no host",
                       meaning: "another host can be given the same address",
                       repair: "\(fixCommand) (claims it again for this host)")
    }

    static func check(network: NetworkRecord, link: ObservedLink?, linkGroup: UInt32) -> [Finding] {
        let id = network.id, bridge = network.bridge
        guard network.state == .ready else {
            return [Finding(kind: .networkUnfinished, subject: bridge, networkID: id,
                            problem: "network \(short(id)) is recorded as still \(network.state.rawValue) (swiftnet stopped during the call)",
                            meaning: "dockerd was never answered; the network is half there",
                            repair: "\(fixCommand) (finishes or undoes it, as a restart of swiftnet would)")]
        }
        guard let link else {
            return [Finding(kind: .bridgeMissing, subject: bridge, networkID: id,
                            problem: "bridge \(bridge) of network \(short(id)) is not in the kernel",
                            meaning: "its containers can reach neither each other, nor the gateway, nor the outside",
                            repair: "\(fixCommand) (recreates it with its gateway addresses and re-attaches the containers' veths)")]
        }
        guard link.isBridge(madeBy: linkGroup) else {
            let what = link.kind == "bridge" ? "a bridge swiftnet did not make (link group \(link.group))"
                                             : "a \(link.kind ?? "physical device"), not a bridge"
            return [Finding(kind: .bridgeTaken, subject: bridge, networkID: id,
                            problem: "\(bridge) exists but is \(what)",
                            meaning: "network \(short(id)) cannot work until the name is free; swiftnet leaves that link alone (a swn- name is only kept apart from swiftnet's bridges, as every swn- name is)",
                            repair: "free the name (ip link del \(bridge), if nothing else needs it), then \(fixCommand)", fixable: false)]
        }
        var findings: [Finding] = []
        if !link.isUp {
            findings.append(Finding(kind: .bridgeDown, subject: bridge, networkID: id,
                                    problem: "bridge \(bridge) is down",
                                    meaning: "no traffic passes between its containers or to the gateway",
                                    repair: "\(fixCommand), or: ip link set \(bridge) up"))
        }
        if let mtu = network.options.mtu, link.mtu != mtu {
            findings.append(Finding(kind: .bridgeMTU, subject: bridge, networkID: id,
                                    problem: "bridge \(bridge) has MTU \(link.mtu), the network asks for \(mtu)",
                                    meaning: "large packets are dropped or fragmented between the containers and the host",
                                    repair: "\(fixCommand), or: ip link set \(bridge) mtu \(mtu)"))
        }
        var wanted: [InterfaceAddress] = []
        for subnet in network.subnets {
            guard let gateway = subnet.gateway else { continue }
            let address = InterfaceAddress(address: gateway, prefixLength: subnet.pool.length)
            wanted.append(address)
            if !link.addresses.contains(address) {
                findings.append(Finding(kind: .gatewayMissing, subject: address.description, networkID: id,
                                        problem: "gateway \(address) is not on bridge \(bridge)",
                                        meaning: "containers in \(subnet.pool) have no default gateway: they reach nothing outside the subnet",
                                        repair: "\(fixCommand), or: ip addr add \(address) dev \(bridge)"))
            }
        }
        for address in link.addresses where !wanted.contains(address) && !address.address.isIPv6LinkLocal {
            findings.append(Finding(kind: .foreignAddress, subject: address.description, networkID: id,
                                    problem: "address \(address) on bridge \(bridge) is not a gateway of network \(short(id))",
                                    meaning: "the host answers for it on the network; inside a subnet it collides with a container's address",
                                    repair: "\(fixCommand), or: ip addr del \(address) dev \(bridge)"))
        }
        return findings
    }

    static func check(endpoint: EndpointRecord, network: NetworkRecord?, links: [String: ObservedLink], bootID: String,
                      now: Int) -> [Finding] {
        let id = endpoint.id, veth = endpoint.hostVeth
        let held = [endpoint.address, endpoint.addressIPv6].compactMap { $0?.address.description }.joined(separator: ", ")
        guard endpoint.state == .ready else {
            return [Finding(kind: .endpointUnfinished, subject: veth, networkID: endpoint.networkID, endpointID: id,
                            problem: "endpoint \(short(id)) is recorded as still \(endpoint.state.rawValue) (swiftnet stopped during the call)",
                            meaning: "dockerd was never answered for it",
                            repair: "\(fixCommand) (removes it, as a restart of swiftnet would)")]
        }
        let back = endpoint.lostItsContainer(links: links, now: now)
        if endpoint.bootID != bootID || links[veth] == nil || back {
            let why = endpoint.bootID != bootID ? "was recorded in an earlier boot"
                : links[veth] == nil ? "has lost its veth \(veth)"
                : endpoint.sandboxKey != nil ? "was joined, but its container's interface \(endpoint.containerVeth) is back in the host's namespace"
                : "was left or never joined over a minute ago, with its container's interface \(endpoint.containerVeth) in the host's namespace"
            return [Finding(kind: .endpointStale, subject: veth, networkID: endpoint.networkID, endpointID: id,
                            problem: "endpoint \(short(id)) \(why): its container is gone",
                            meaning: "its address\(held.isEmpty ? "" : " \(held)") stays allocated until freed",
                            repair: "\(gcCommand) (or \(fixCommand))")]
        }
        guard let link = links[veth], let network else { return [] }
        var findings: [Finding] = []
        if link.master != network.bridge {
            findings.append(Finding(kind: .vethDetached, subject: veth, networkID: network.id, endpointID: id,
                                    problem: "\(veth) of endpoint \(short(id)) is \(link.master.map { "attached to \($0)" } ?? "attached to no bridge"), not to \(network.bridge)",
                                    meaning: "the container\(held.isEmpty ? "" : " at \(held)") is cut off from its network",
                                    repair: "\(fixCommand), or: ip link set \(veth) master \(network.bridge)"))
        }
        if let mtu = network.options.mtu, link.mtu != mtu {
            findings.append(Finding(kind: .vethMTU, subject: veth, networkID: network.id, endpointID: id,
                                    problem: "\(veth) of endpoint \(short(id)) has MTU \(link.mtu), the network asks for \(mtu)",
                                    meaning: "large packets between the container and its network are dropped or fragmented",
                                    repair: "\(fixCommand), or: ip link set \(veth) mtu \(mtu)"))
        }
        if !link.isUp {
            findings.append(Finding(kind: .vethDown, subject: veth, networkID: network.id, endpointID: id,
                                    problem: "\(veth) of endpoint \(short(id)) is down",
                                    meaning: "the container is cut off from its network",
                                    repair: "\(fixCommand), or: ip link set \(veth) up"))
        }
        return findings
    }

    static func ruleMeaning(_ rule: String) -> String {
        if rule.contains("127.0.0.0/8") { return "containers can reach services the host binds to 127.0.0.1 only" }
        if rule.contains("DNAT") { return "a published port does not reach its container" }
        // A jump to a branch of FORWARD ("-i swn-0+ -j P-FORWARD-0"): its networks' rules are skipped.
        if let target = rule.split(separator: " ").last, target.dropLast().hasSuffix("-FORWARD-") {
            return "the traffic of the networks whose bridges are named swn-\(target.suffix(1))… is left to Docker's rules and the FORWARD policy"
        }
        if rule.contains("MASQUERADE") { return "containers cannot reach the outside (their source address is not translated)" }
        if rule.contains("-j DROP") || rule.hasSuffix("-ISOLATION") || rule.hasSuffix("-INBOUND") {
            return "isolation is incomplete: traffic the network forbids gets through"
        }
        if rule.contains("-j ACCEPT") { return "traffic the network allows is dropped" }
        return "the firewall does not match the networks' settings"
    }

    static func jumpMeaning(_ rule: String) -> String {
        if rule.hasPrefix("FORWARD") { return "container traffic is decided by Docker's rules and the FORWARD policy alone" }
        if rule.hasPrefix("POSTROUTING") { return "containers cannot reach the outside" }
        if rule.contains("-LOOPBACK") { return "containers can reach services the host binds to 127.0.0.1 only" }
        return "published ports do not work"
    }

    static func short(_ id: String) -> String { String(id.prefix(12)) }
}
