import SwiftnetAddress

/// The rules as a pure function of the desired state: no I/O, no root, so every case is unit
/// tested, and the same text is re-applied at every start-up (it replaces our chains whole).
///
/// Layout (P = prefix):
/// - filter `P-FORWARD`, jumped to first thing in FORWARD: for every packet with a swiftnet
///   bridge on either side it ends in ACCEPT or DROP, so neither Docker's rules nor the
///   FORWARD policy (DROP under Docker, ACCEPT without it) decide our traffic. It jumps to
///   the branches `P-FORWARD-0` … `P-FORWARD-f`, which hold the rules of the networks whose
///   bridges are named `swn-0…` … `swn-f…` (see `FirewallChains`); the rules of bridges named
///   otherwise follow the jumps.
/// - filter `P-ISOLATION`: entered for packets leaving a swiftnet bridge for another
///   interface; drops those heading for any swiftnet bridge or Docker bridge (`swn-+`, then
///   each bridge named otherwise; Docker's by `docker0` and `br-+`, then each of its bridges
///   named otherwise, with `com.docker.network.bridge.name`, as Docker's own rules name them:
///   `SavedTables.dockerBridges`).
/// - filter `P-INBOUND`: entered for packets entering a swiftnet bridge from another
///   interface; drops those coming from any swiftnet bridge or Docker bridge. Each network's
///   rules send packets there before they accept any into its bridge, so isolation does not
///   depend on which of two networks was created first.
/// - filter `P-ACCEPT`, jumped to from `P-FORWARD` for packets entering a network with
///   published ports: jumps to the buckets `P-ACCEPT-NN` that accept them.
/// - filter `P-DNATED`, jumped to first in `P-FORWARD` for DNAT'ed packets while a port is
///   published: a network's DNAT'ed packets to `P-ACCEPT`, and their replies accepted,
///   ahead of every network's isolation. Branched as `P-FORWARD` is (`P-DNATED-0` …).
/// - nat `P-POSTROUTING`, jumped to from POSTROUTING: masquerade; jumps to the buckets
///   `P-HAIRPIN-NN` (containers reaching their own published ports).
/// - nat `P-DNAT`, jumped to from PREROUTING and OUTPUT for local destinations: jumps to the
///   buckets `P-DNAT-NN` of published ports.
/// Buckets group published ports by container address (`FirewallChains.bucket(of:)`) and
/// exist only while they hold rules.
/// - raw `P-LOOPBACK`, jumped to from PREROUTING (IPv4): drops packets that arrive on a
///   swiftnet bridge (`swn-+`, then each bridge named otherwise) addressed to 127.0.0.0/8.
///   Every bridge has `route_localnet=1` so that the host's own connections to a port
///   published on 127.0.0.1 can be DNAT'ed out of it;
///   without this drop the same setting lets a container reach any service the host binds to
///   127.0.0.1 (CVE-2020-8558, which kube-proxy fixed the same way). Nothing legitimate
///   arrives on a bridge with such a destination before NAT: replies to the host's
///   published-port connections are addressed to the masqueraded gateway address, and raw
///   PREROUTING sees them before conntrack restores 127.0.0.1.
///
/// IPv6 gets the same rules, NAT included: swiftnet's IPAM hands out unique-local /64s, which
/// the internet does not route, so without masquerade an IPv6 container could reach nothing
/// beyond the host, and a port published on `::` could not be reached. This is what dockerd
/// does since 27 (ip6tables on, IPv6 gateway mode "nat"). `masquerade: false` turns it off
/// for both families, for routed global prefixes.
package enum FirewallRules {
    /// `iptables-restore --noflush` (or `ip6tables-restore`) input for the tables filter and
    /// nat, covering only swiftnet's chains. Empty state gives the chain declarations alone,
    /// which empties them. Every name, protocol and port is checked first: invalid input
    /// throws and renders nothing.
    /// `dockerBridges`: Docker's bridges that `docker0` and `br-+` do not match, as its rules
    /// in the family's tables name them (`SavedTables.dockerBridges`).
    package static func render(networks: [FirewallNetwork], bindings: [FirewallPortBinding], family: IPFamily,
                              prefix: String = "SWIFTNET", dockerBridges: [String] = []) throws(FirewallError) -> String {
        let chains = try FirewallChains(prefix: prefix)
        let state = try FirewallState(networks: networks, bindings: bindings)
        var cache = FirewallRenderCache()
        return sections(state, family: family, chains: chains, cache: &cache, dockerBridges: dockerBridges).map(\.text).joined()
    }

    /// The rendering of a checked state as sections (see `FirewallPatch`). The rules of the
    /// published ports are taken from `cache` for every bucket whose bindings did not change
    /// since the last rendering, and each network's for every network that did not change, so
    /// a change costs the rendering of its own bucket or network and the gathering of the
    /// others' rules, not their rendering.
    static func sections(_ state: FirewallState, family: IPFamily, chains: FirewallChains,
                         cache: inout FirewallRenderCache, dockerBridges: [String] = []) -> [FirewallPatch.Section] {
        var filter = RuleTable(name: "filter", chains: chains.filter)
        var nat = RuleTable(name: "nat", chains: chains.nat)
        var raw = RuleTable(name: "raw", chains: chains.raw)
        let forward = chains.forward

        // Each network's rules, from `cache` where the network and whether it publishes are
        // as they were last time (see `networkRules`).
        let rendered = state.networks.map { network in
            cache.rules(of: network, family: family, publishing: state.publishes(network.bridge, family: family), chains: chains)
        }
        cache.forgetNetworks(except: state.networks, family: family)
        // DNAT'ed packets first, while a port is published: before any network's isolation.
        if state.publishesAny(family: family) {
            filter.append(forward, "-m conntrack --ctstate DNAT -j \(chains.dnated)")
            branch(state.networks, rendered, \.dnated, from: chains.dnated, to: chains.dnatedBranch, in: &filter)
        }

        // Each network's rules come in the networks' order (`FirewallState.networks`) and last
        // in their chain, so a new network's rules are appended:
        // `iptables-restore` (nft backend) reads a chain's rules to insert at a position or
        // delete, which costs as much as the rules of every network in it, but not to append.
        // The branches keep those chains short, and which network's rules come first in one
        // decides nothing: for a packet in or out of a bridge, that network's own rules end
        // in ACCEPT or DROP (or its isolation and inbound drops, which every network shares),
        // and the other networks' rules name other bridges; the DNATED rules only accept.
        // The rules that come first instead decide nothing by their place (ISOLATION and
        // INBOUND drop only; POSTROUTING and the hairpin buckets only masquerade).
        branch(state.networks, rendered, \.forward, from: forward, to: chains.forwardBranch, in: &filter)
        if !state.networks.isEmpty {
            // IPv6 needs no such rule: the kernel never accepts ::1 from outside `lo`.
            if family == .v4 { raw.append(chains.loopback, "-d 127.0.0.0/8 -i \(FirewallChains.bridgePrefix)+ -j DROP") }
            // Docker's bridges named otherwise come after the wildcards (`dockerBridges` holds
            // only names none of them matches, each an interface name iptables takes literally).
            for docker in FirewallState.dockerBridges + [FirewallChains.bridgePrefix + "+"] + dockerBridges {
                filter.append(chains.isolation, "-o \(docker) -j DROP")
                filter.append(chains.inbound, "-i \(docker) -j DROP")
            }
            for rules in rendered {
                raw.append(chains.loopback, contentsOf: rules.loopback)
                filter.append(chains.isolation, contentsOf: rules.isolation)
                filter.append(chains.inbound, contentsOf: rules.inbound)
            }
        }

        // Published ports, per bucket (see `FirewallChains`). Within a bucket the order is the
        // bindings' own, so the text depends on the set of bindings only. The jumps go into
        // the buckets unconditionally: the rules of different buckets never match the same
        // packet (one host port has one binding, one container port one ACCEPT), so the
        // buckets' order decides nothing.
        for index in 0..<FirewallChains.bucketCount {
            let bindings = state.bucket(index, family: family)
            guard !bindings.isEmpty else { continue }
            let rules = cache.rules(bucket: index, family: family, bindings: bindings)
            filter.declare(chains.acceptBucket(index), rules: rules.accept)
            filter.append(chains.accept, "-j \(chains.acceptBucket(index))")
            nat.declare(chains.dnatBucket(index), rules: rules.dnat)
            nat.append(chains.dnat, "-j \(chains.dnatBucket(index))")
            nat.declare(chains.hairpinBucket(index), rules: rules.hairpin)
            nat.append(chains.postrouting, "-j \(chains.hairpinBucket(index))")
        }
        for rules in rendered { nat.append(chains.postrouting, contentsOf: rules.masquerades) }

        return [filter.section, nat.section] + (family == .v4 ? [raw.section] : [])
    }

    /// Puts each network's `rules` into the branch of its bridge (`FirewallChains.branch(of:)`),
    /// declared while it holds rules, and jumps from `main` to each branch for packets in and
    /// out of the bridges it serves: jumps by way in first, then by way out, each in the
    /// branches' order, then the rules of bridges named otherwise, in `main` itself.
    private static func branch(_ networks: [FirewallNetwork], _ rendered: [FirewallRenderCache.NetworkRules],
                               _ rules: KeyPath<FirewallRenderCache.NetworkRules, [String]>, from main: String,
                               to branchChain: (Character) -> String, in table: inout RuleTable) {
        var branches: [Character: [String]] = [:]
        var unbranched: [String] = []
        for (network, each) in zip(networks, rendered) where !each[keyPath: rules].isEmpty {
            if let key = FirewallChains.branch(of: network.bridge) {
                branches[key, default: []].append(contentsOf: each[keyPath: rules])
            } else {
                unbranched.append(contentsOf: each[keyPath: rules])
            }
        }
        let keys = FirewallChains.branches.filter { branches[$0] != nil }
        for key in keys { table.declare(branchChain(key), rules: branches[key] ?? []) }
        for way in ["-i", "-o"] {
            for key in keys { table.append(main, "\(way) \(FirewallChains.bridgePrefix)\(key)+ -j \(branchChain(key))") }
        }
        table.append(main, contentsOf: unbranched)
    }

    /// One network's rules of `family`, each chain's in order (see `sections` for where they
    /// go). Every rule names the network's bridge, and `FirewallState` allows one network per
    /// bridge, so no two networks' rules are alike; within a network, a pool given twice is
    /// masqueraded once.
    static func networkRules(_ network: FirewallNetwork, family: IPFamily, publishing: Bool,
                             chains: FirewallChains) -> FirewallRenderCache.NetworkRules {
        let bridge = network.bridge
        var rules = FirewallRenderCache.NetworkRules()
        // A bridge named `swn-…` is dropped by the wildcard rules `sections` puts first.
        if !bridge.hasPrefix(FirewallChains.bridgePrefix) {
            rules.isolation = ["-o \(bridge) -j DROP"]
            rules.inbound = ["-i \(bridge) -j DROP"]
            if family == .v4 { rules.loopback = ["-d 127.0.0.0/8 -i \(bridge) -j DROP"] }
        }
        // A published port is the host's: reached through a host address from the containers
        // of every swiftnet network that is not internal, as Docker's default userland proxy
        // makes it (from another network, or from its own with enable_icc=false; checked
        // against dockerd 20.10). So before the isolation and icc rules (`sections` puts the
        // DNATED chain first), per such bridge: a DNAT'ed packet from it to a published port,
        // and the replies back into it. A container's own address stays isolated (only
        // DNAT'ed packets pass here), internal networks and Docker's bridges get nothing, and
        // no other traffic is decided here: what the DNATED chain does not take comes back to
        // the rules below.
        if !network.isInternal {
            rules.dnated = ["-i \(bridge) -j \(chains.accept)", "-o \(bridge) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"]
        }
        // Traffic between two ports of the bridge (br_netfilter makes bridged frames pass
        // FORWARD with -i and -o both the bridge). Decided first: the isolation chain
        // below drops every swiftnet bridge, this one included.
        rules.forward.append("-i \(bridge) -o \(bridge) -j \(network.interContainer ? "ACCEPT" : "DROP")")
        // Leaving for another bridge, ours or Docker's: dropped there.
        rules.forward.append("-i \(bridge) -j \(chains.isolation)")
        if network.isInternal {
            rules.forward.append("-i \(bridge) ! -o \(bridge) -j DROP")
            rules.forward.append("! -i \(bridge) -o \(bridge) -j DROP")
            return rules
        }
        // Entering from another bridge, ours or Docker's (Docker's isolation chains only
        // know its own bridges): dropped there, before any rule below accepts into this
        // bridge. The leaving side's isolation is not enough: a network created later
        // has its rules after these.
        rules.forward.append("-o \(bridge) -j \(chains.inbound)")
        rules.forward.append("-o \(bridge) -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT")
        // Published ports: the bucket chains hold an ACCEPT per port, each naming this
        // bridge with -o, so only this network's match here: packets routed to a
        // container's published port without DNAT (DNAT'ed ones were taken in DNATED).
        if publishing {
            rules.forward.append("-o \(bridge) -j \(chains.accept)")
        }
        // The way out: to the uplink, or any interface that is not a bridge of ours or Docker's.
        rules.forward.append("-i \(bridge) ! -o \(bridge) -j ACCEPT")
        // Anything else coming in (unpublished ports, direct routing to container
        // addresses) is dropped here rather than left to the FORWARD policy, which is
        // ACCEPT on a host without Docker.
        rules.forward.append("-o \(bridge) -j DROP")

        if network.masquerade {
            for subnet in network.subnets where subnet.family == family {
                let rule = "-s \(subnet) ! -o \(bridge) -j MASQUERADE"
                if !rules.masquerades.contains(rule) { rules.masquerades.append(rule) }
            }
        }
        if publishing {
            // Host-originated connections to a published port (127.0.0.1:PORT, DNAT'ed into
            // the bridge with route_localnet=1) need a source the container can answer.
            rules.masquerades.append("-o \(bridge) -m addrtype --src-type LOCAL -j MASQUERADE")
        }
        return rules
    }

    /// The rules of one bucket's bindings (all of one family, on networks that are not
    /// internal): an ACCEPT or hairpin rule two bindings share (one container port on two host
    /// addresses) comes once.
    static func bucketRules(_ bindings: [FirewallPortBinding]) -> FirewallRenderCache.Rules {
        bucketRules(bindings, known: [:]).rules
    }

    /// The same, taking each binding's own rules from `known` where it has them (the
    /// bucket's last rendering): a change re-renders only its own bindings' text. Returns
    /// each binding's rules as well, for the next time.
    static func bucketRules(_ bindings: [FirewallPortBinding], known: [FirewallPortBinding: FirewallRenderCache.BindingRules])
        -> (rules: FirewallRenderCache.Rules, each: [FirewallPortBinding: FirewallRenderCache.BindingRules]) {
        var each: [FirewallPortBinding: FirewallRenderCache.BindingRules] = [:]
        each.reserveCapacity(bindings.count)
        var rendered: [(binding: FirewallPortBinding, rules: FirewallRenderCache.BindingRules)] = []
        rendered.reserveCapacity(bindings.count)
        for binding in bindings {
            let rules = known[binding] ?? each[binding] ?? bindingRules(binding)
            each[binding] = rules
            rendered.append((binding, rules))
        }
        var accept: [String] = [], dnat: [String] = [], hairpin: [String] = []
        var seenAccept: Set<String> = [], seenHairpin: Set<String> = []
        rendered.sort { byContainer($0.binding, $1.binding) }
        for (_, rules) in rendered {
            if seenAccept.insert(rules.accept).inserted { accept.append(rules.accept) }
            if seenHairpin.insert(rules.hairpin).inserted { hairpin.append(rules.hairpin) }
        }
        rendered.sort { byHostPort($0.binding, $1.binding) }
        for (_, rules) in rendered { dnat.append(rules.dnat) }
        return (FirewallRenderCache.Rules(accept: accept, dnat: dnat, hairpin: hairpin), each)
    }

    /// One binding's ACCEPT, hairpin masquerade and DNAT.
    static func bindingRules(_ binding: FirewallPortBinding) -> FirewallRenderCache.BindingRules {
        let address = host(binding.containerIP)
        let match = "-p \(binding.proto) -m \(binding.proto) --dport \(binding.containerPort)"
        // A container reaching its own published port: the packet goes back out of the
        // port it came in by (needs hairpin mode on the bridge port); the source must
        // change or the container would answer itself directly.
        //
        // No `! -i BRIDGE` on the DNAT: there is no userland proxy behind these rules to
        // catch what they skip, so a container reaching a published port of its own network
        // through a host address is DNAT'ed like everyone else; the reply is bridged straight
        // back and br_netfilter's conntrack undoes the DNAT on it. From another network the
        // DNAT'ed packet is accepted before the isolation (see `sections`), as Docker's
        // userland proxy would take it.
        let destination = binding.hostIP.map { "-d \(host($0)) " } ?? ""
        let target = binding.containerIP.family == .v6 ? "[\(binding.containerIP)]:\(binding.containerPort)"
                                                       : "\(binding.containerIP):\(binding.containerPort)"
        return FirewallRenderCache.BindingRules(
            accept: "-d \(address) -o \(binding.bridge) \(match) -j ACCEPT",
            hairpin: "-s \(address) -d \(address) \(match) -j MASQUERADE",
            dnat: "\(destination)-p \(binding.proto) -m \(binding.proto) --dport \(binding.hostPort) -j DNAT --to-destination \(target)")
    }

    /// The jumps from built-in chains into ours, as argument arrays for `iptables -w -C/-I/-D`.
    /// OUTPUT's jump for IPv6 skips ::1: unlike 127.0.0.1 (route_localnet) the kernel never
    /// routes ::1 out of a bridge, so DNAT'ing it would only turn "connection refused" into a
    /// timeout.
    package static func jumps(family: IPFamily, prefix: String = "SWIFTNET") throws(FirewallError) -> [FirewallJump] {
        let chains = try FirewallChains(prefix: prefix)
        let local = ["-m", "addrtype", "--dst-type", "LOCAL", "-j", chains.dnat]
        return [
            FirewallJump(table: "filter", chain: "FORWARD", rule: ["-j", chains.forward]),
            FirewallJump(table: "nat", chain: "PREROUTING", rule: local),
            FirewallJump(table: "nat", chain: "OUTPUT", rule: family == .v4 ? local : ["!", "-d", "::1/128"] + local),
            FirewallJump(table: "nat", chain: "POSTROUTING", rule: ["-j", chains.postrouting]),
        ] + (family == .v4 ? [FirewallJump(table: "raw", chain: "PREROUTING", rule: ["-j", chains.loopback])] : [])
    }

    /// Input that deletes our chains: declaring them first empties them (or creates them, so
    /// the deletes cannot fail for a chain that is already gone), then `-X` removes them. It
    /// fails as a whole, changing nothing, while a jump still points at one of them.
    static func teardown(chains: FirewallChains, family: IPFamily) -> String {
        func section(_ table: String, _ names: [String]) -> String {
            var lines = ["*\(table)"]
            lines += names.map { ":\($0) - [0:0]" }
            lines += names.map { "-X \($0)" }
            lines.append("COMMIT")
            return lines.joined(separator: "\n") + "\n"
        }
        return chains.byTable(family: family).map { section($0.table, $0.chains) }.joined()
    }

    /// An address as iptables-save prints a host: with its full-length mask.
    static func host(_ address: IPAddress) -> String {
        "\(address)/\(address.family.bitWidth)"
    }

    static func byContainer(_ a: FirewallPortBinding, _ b: FirewallPortBinding) -> Bool {
        if a.containerIP != b.containerIP { return a.containerIP < b.containerIP }
        if a.proto != b.proto { return a.proto < b.proto }
        return a.containerPort < b.containerPort
    }

    static func byHostPort(_ a: FirewallPortBinding, _ b: FirewallPortBinding) -> Bool {
        if a.proto != b.proto { return a.proto < b.proto }
        if a.hostPort != b.hostPort { return a.hostPort < b.hostPort }
        return FirewallState.order(a, b)
    }
}
