import SwiftnetAddress

/// The desired state after every check: every string that will reach the rules text has been
/// matched against a whitelist, bindings are normalised, networks are ordered and the rendering
/// sorts the bindings of each bucket, so that the rendered text depends on the set of networks
/// and bindings, not on the order the caller happened to hold them in (a re-render after a
/// restart is then byte-identical).
///
/// Everything is checked for both families in every rendering, so a bad IPv6 binding cannot
/// slip through because only the IPv4 text was looked at.
///
/// Bindings can be added and removed one by one (`insert`, `remove`) with the same checks as
/// the initialiser: a container start changes its own bindings, and building the state anew
/// from every binding on the host cost more than the rest of the change.
struct FirewallState {
    /// In the order they were created (`sequence`), then by bridge name: a new network's rules
    /// come after every other network's, so adding them appends to our chains.
    let networks: [FirewallNetwork]
    private let byBridge: [String: FirewallNetwork]
    /// The bindings that are programmed (not those of internal networks), normalised
    /// (unspecified host address = nil), without exact duplicates, per family and bucket
    /// (`FirewallChains.bucket(of:)`), each bucket in the order its bindings came (which the
    /// rendering's cache uses to find a bucket unchanged without sorting it).
    private var bucketsV4: [[FirewallPortBinding]]
    private var bucketsV6: [[FirewallPortBinding]]
    /// Per family, how many programmed bindings each bridge has.
    private var publishingV4: [String: Int] = [:]
    private var publishingV6: [String: Int] = [:]
    /// The programmed bindings by family, protocol and host port, each with how many times
    /// it was given (an exact duplicate is one binding, there until its last copy goes).
    /// Most ports have one binding; the few with more (one per host address) keep the rest
    /// apart, so that a binding costs no allocation of its own.
    private var onPort: [HostPort: Holding] = [:]
    private var moreOnPort: [HostPort: [Holding]] = [:]

    private struct Holding {
        var binding: FirewallPortBinding
        var count: Int
    }

    /// Docker's own bridges, matched from our rules to keep the two apart (`+` is iptables'
    /// interface wildcard). A swiftnet bridge may not use these names.
    static let dockerBridges = ["docker0", "br-+"]

    init(networks: [FirewallNetwork], bindings: [FirewallPortBinding]) throws(FirewallError) {
        var byBridge: [String: FirewallNetwork] = [:]
        for network in networks {
            try FirewallState.checkBridge(network.bridge)
            guard byBridge[network.bridge] == nil else { throw .duplicateBridge(network.bridge) }
            for subnet in network.subnets where subnet.length == 0 {
                throw .invalidSubnet(bridge: network.bridge, subnet: subnet.description)
            }
            byBridge[network.bridge] = network
        }
        self.byBridge = byBridge
        self.networks = byBridge.values.sorted { ($0.sequence, $0.bridge) < ($1.sequence, $1.bridge) }
        bucketsV4 = Array(repeating: [], count: FirewallChains.bucketCount)
        bucketsV6 = bucketsV4
        onPort.reserveCapacity(bindings.count)
        for binding in bindings { try insert(binding) }
    }

    /// Whether `networks` are this state's (in any order): then bindings can be added to and
    /// removed from it instead of building it anew.
    func hasNetworks(_ networks: [FirewallNetwork]) -> Bool {
        networks.count == self.networks.count && networks.allSatisfy { byBridge[$0.bridge] == $0 }
    }

    /// The programmed bindings of `family`'s bucket `index`.
    func bucket(_ index: Int, family: IPFamily) -> [FirewallPortBinding] {
        family == .v4 ? bucketsV4[index] : bucketsV6[index]
    }

    /// Whether any programmed binding of `family` exists.
    func publishesAny(family: IPFamily) -> Bool {
        !(family == .v4 ? publishingV4 : publishingV6).isEmpty
    }

    /// Whether a programmed binding of `family` is on `bridge`.
    func publishes(_ bridge: String, family: IPFamily) -> Bool {
        (family == .v4 ? publishingV4[bridge] : publishingV6[bridge]) != nil
    }

    /// Adds a binding after the checks; one of an internal network is checked and left out
    /// (never programmed). Two different bindings on one host port would make the second
    /// DNAT rule dead: refused, as dockerd's port allocator does. On a throw the state is
    /// unchanged.
    mutating func insert(_ binding: FirewallPortBinding) throws(FirewallError) {
        guard let (binding, key) = try checked(binding) else { return }
        if let first = onPort[key] {
            if first.binding == binding { onPort[key]?.count += 1; return }
            try FirewallState.checkNoConflict(binding, with: first.binding)
            let more = moreOnPort[key] ?? []
            for (index, other) in more.enumerated() {
                if other.binding == binding { moreOnPort[key]?[index].count += 1; return }
                try FirewallState.checkNoConflict(binding, with: other.binding)
            }
            moreOnPort[key, default: []].append(Holding(binding: binding, count: 1))
        } else {
            onPort[key] = Holding(binding: binding, count: 1)
        }
        let bucket = FirewallChains.bucket(of: binding.containerIP)
        if key.family == .v4 {
            bucketsV4[bucket].append(binding)
            publishingV4[binding.bridge, default: 0] += 1
        } else {
            bucketsV6[bucket].append(binding)
            publishingV6[binding.bridge, default: 0] += 1
        }
    }

    /// Takes away one copy of each of `bindings`, which `insert` was given. Returns false when
    /// the state does not hold one of them (what the caller removes is not what it added):
    /// the state is then no longer the caller's, to be built anew. The buckets are filtered
    /// once rather than searched per binding: one container may publish thousands of ports,
    /// all in the bucket of its address.
    mutating func remove(_ bindings: [FirewallPortBinding]) -> Bool {
        // The bindings whose last copy goes, by bucket (IPv6 after IPv4's).
        var gone: [Int: Set<FirewallPortBinding>] = [:]
        for binding in bindings {
            let normalised: (FirewallPortBinding, HostPort)?
            do { normalised = try checked(binding) } catch { return false }
            guard let (binding, key) = normalised else { continue }  // internal: never held
            guard var first = onPort[key] else { return false }
            if first.binding == binding {
                first.count -= 1
                if first.count > 0 { onPort[key] = first; continue }
                if var more = moreOnPort[key], !more.isEmpty {
                    onPort[key] = more.removeFirst()
                    moreOnPort[key] = more.isEmpty ? nil : more
                } else {
                    onPort[key] = nil
                }
            } else {
                guard var more = moreOnPort[key], let index = more.firstIndex(where: { $0.binding == binding }) else { return false }
                more[index].count -= 1
                if more[index].count > 0 { moreOnPort[key] = more; continue }
                more.remove(at: index)
                moreOnPort[key] = more.isEmpty ? nil : more
            }
            let bucket = FirewallChains.bucket(of: binding.containerIP)
            gone[key.family == .v4 ? bucket : FirewallChains.bucketCount + bucket, default: []].insert(binding)
        }
        for (slot, removed) in gone {
            if slot < FirewallChains.bucketCount {
                FirewallState.take(removed, from: &bucketsV4[slot], counts: &publishingV4)
            } else {
                FirewallState.take(removed, from: &bucketsV6[slot - FirewallChains.bucketCount], counts: &publishingV6)
            }
        }
        return true
    }

    private static func take(_ removed: Set<FirewallPortBinding>, from bucket: inout [FirewallPortBinding],
                             counts: inout [String: Int]) {
        bucket.removeAll { removed.contains($0) }
        for binding in removed {
            let left = (counts[binding.bridge] ?? 1) - 1
            counts[binding.bridge] = left > 0 ? left : nil
        }
    }

    /// The binding normalised with its host-port key, nil for one of an internal network.
    private func checked(_ binding: FirewallPortBinding) throws(FirewallError) -> (FirewallPortBinding, HostPort)? {
        var binding = binding
        guard let network = byBridge[binding.bridge] else {
            try FirewallState.checkBridge(binding.bridge)
            throw .unknownBridge(binding.bridge)
        }
        let proto: UInt8
        switch binding.proto {
        case "tcp": proto = 6
        case "udp": proto = 17
        case "sctp": proto = 132
        default: throw .invalidProtocol(binding.proto)
        }
        if !(1...65535).contains(binding.hostPort) { throw .invalidPort(binding.hostPort) }
        if !(1...65535).contains(binding.containerPort) { throw .invalidPort(binding.containerPort) }
        // 0.0.0.0 / :: is every address of the binding's family (the driver keeps it so that
        // it publishes in that family only); `-d 0.0.0.0/32` would match nothing.
        if let host = binding.hostIP, host.value == 0 { binding.hostIP = nil }
        if let host = binding.hostIP, host.family != binding.containerIP.family {
            throw .familyMismatch(FirewallState.describe(binding))
        }
        guard network.subnets.contains(where: { $0.contains(binding.containerIP) }) else {
            throw .containerOutsideNetwork(FirewallState.describe(binding))
        }
        guard !network.isInternal else { return nil }
        return (binding, HostPort(family: binding.containerIP.family, proto: proto, port: binding.hostPort))
    }

    private static func checkNoConflict(_ binding: FirewallPortBinding, with other: FirewallPortBinding) throws(FirewallError) {
        guard other.hostIP == nil || binding.hostIP == nil || other.hostIP == binding.hostIP else { return }
        // Named in a fixed order, whatever order the caller held them in.
        let (one, two) = FirewallState.order(other, binding) ? (other, binding) : (binding, other)
        throw .portConflict(FirewallState.describe(one), FirewallState.describe(two))
    }

    private struct HostPort: Hashable {
        var family: IPFamily
        var proto: UInt8
        var port: Int
    }

    /// An interface name iptables takes literally: ASCII letters, digits, '_', '.', '-', at most
    /// 15 bytes (IFNAMSIZ - 1), starting with a letter or digit so it cannot read as an option.
    /// No '+' (wildcard), '!' (negation), spaces, quotes or newlines: a name can never end one
    /// rule line and start another. Docker's own bridge names are refused too: rules for a
    /// swiftnet bridge must never decide traffic of Docker's bridges.
    static func checkBridge(_ name: String) throws(FirewallError) {
        let bytes = Array(name.utf8)
        guard (1...15).contains(bytes.count),
              bytes[0].isASCIILetter || bytes[0].isASCIIDigit,
              bytes.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }),
              name != "docker0", !name.hasPrefix("br-")
        else { throw .invalidBridge(name) }
    }

    static func describe(_ binding: FirewallPortBinding) -> String {
        let host = binding.hostIP?.hostText ?? "*"
        let container = binding.containerIP.hostText
        return "\(binding.proto) \(host):\(binding.hostPort)->\(container):\(binding.containerPort) on \(binding.bridge)"
    }

    static func order(_ a: FirewallPortBinding, _ b: FirewallPortBinding) -> Bool {
        if a.bridge != b.bridge { return a.bridge < b.bridge }
        if a.proto != b.proto { return a.proto < b.proto }
        if a.hostPort != b.hostPort { return a.hostPort < b.hostPort }
        if a.hostIP != b.hostIP {
            guard let left = a.hostIP else { return true }
            guard let right = b.hostIP else { return false }
            return left < right
        }
        if a.containerIP != b.containerIP { return a.containerIP < b.containerIP }
        return a.containerPort < b.containerPort
    }
}
