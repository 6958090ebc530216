import SwiftnetAddress

/// The desired state after every check: every string that will reach the rules text has been
/// matched against a whitelist, bindings are normalised, networks are sorted and the rendering
/// sorts the bindings of each bucket, so that the rendered text depends on the set of networks
/// and bindings, not on the order the caller happened to hold them in (a re-render after a
/// restart is then byte-identical).
///
/// Everything is checked for both families in every rendering, so a bad IPv6 binding cannot
/// slip through because only the IPv4 text was looked at.
struct FirewallState {
    /// Sorted by bridge name.
    let networks: [FirewallNetwork]
    /// The bindings that are programmed (not those of internal networks), normalised
    /// (unspecified host address = nil), without exact duplicates, in the caller's order (which
    /// the rendering's cache uses to find a bucket unchanged without sorting it).
    let live: [FirewallPortBinding]

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
        self.networks = byBridge.values.sorted { $0.bridge < $1.bridge }

        // Two different bindings on one host port would make the second DNAT rule dead: refuse,
        // as dockerd's port allocator does. Bindings of internal networks are never programmed.
        // One pass, no allocation per binding: this runs on every container start and stop.
        var live: [FirewallPortBinding] = []
        live.reserveCapacity(bindings.count)
        var onPort: [HostPort: FirewallPortBinding] = [:]
        onPort.reserveCapacity(bindings.count)
        var moreOnPort: [HostPort: [FirewallPortBinding]] = [:]
        var last: FirewallNetwork?
        for var binding in bindings {
            // A bridge found among the networks was checked with them.
            let network: FirewallNetwork
            if let last, last.bridge == binding.bridge {
                network = last
            } else {
                guard let found = byBridge[binding.bridge] else {
                    try FirewallState.checkBridge(binding.bridge)
                    throw .unknownBridge(binding.bridge)
                }
                network = found
                last = found
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
            // dockerd sends 0.0.0.0 / :: for "every address"; `-d 0.0.0.0/32` would match nothing.
            if let host = binding.hostIP, host.value == 0 { binding.hostIP = nil }
            if let host = binding.hostIP, host.family != binding.containerIP.family {
                throw .familyMismatch(FirewallState.describe(binding))
            }
            guard network.subnets.contains(where: { $0.contains(binding.containerIP) }) else {
                throw .containerOutsideNetwork(FirewallState.describe(binding))
            }
            guard !network.isInternal else { continue }
            let key = HostPort(family: binding.containerIP.family, proto: proto, port: binding.hostPort)
            if let first = onPort[key] {
                var duplicate = false
                for other in [first] + (moreOnPort[key] ?? []) {
                    // An exact duplicate is one binding.
                    if other == binding { duplicate = true; break }
                    if other.hostIP == nil || binding.hostIP == nil || other.hostIP == binding.hostIP {
                        // Named in a fixed order, whatever order the caller held them in.
                        let (one, two) = FirewallState.order(other, binding) ? (other, binding) : (binding, other)
                        throw .portConflict(FirewallState.describe(one), FirewallState.describe(two))
                    }
                }
                if duplicate { continue }
                moreOnPort[key, default: []].append(binding)
            } else {
                onPort[key] = binding
            }
            live.append(binding)
        }
        self.live = live
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
        let host = binding.hostIP.map { $0.family == .v6 ? "[\($0)]" : "\($0)" } ?? "*"
        let container = binding.containerIP.family == .v6 ? "[\(binding.containerIP)]" : "\(binding.containerIP)"
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
