import SwiftnetAddress

/// Pure: what a new logical network gets, given every network etcd already has.
///
/// Subnet: the one asked for (not overlapping any other logical network, nor a special-purpose
/// range), or else the first `/automaticPrefixLength` of `automaticPool` that overlaps none
/// (`/N` instead for Docker 29's size-only `0.0.0.0/N`). VNI: a hash of the name
/// into `LogicalNetwork.vniRange`, probing upwards past VNIs in use, so a network usually gets
/// the same VNI whichever host creates it.
package struct LogicalNetworkPlan: Sendable {
    /// Default automatic pool: 10.208.0.0/12 in /20s, i.e. 256 networks of 4094 addresses.
    package static let defaultPool = IPPrefix("10.208.0.0/12")!
    package static let defaultPrefixLength = 20

    package var automaticPool: IPPrefix
    package var automaticPrefixLength: Int

    package init(automaticPool: IPPrefix = LogicalNetworkPlan.defaultPool,
                 automaticPrefixLength: Int = LogicalNetworkPlan.defaultPrefixLength) {
        self.automaticPool = automaticPool
        self.automaticPrefixLength = automaticPrefixLength
    }

    package func plan(name: String, requestedSubnet: IPPrefix?, host: String,
                      existing: [LogicalNetwork]) throws(MultiHostError) -> LogicalNetwork {
        try LogicalNetwork.validate(name: name)
        let subnet: IPPrefix
        if let requested = requestedSubnet {
            guard requested.family == .v4 else { throw .invalidSubnet(requested, reason: "only IPv4 multi-host networks are supported") }
            guard requested.length <= 30 else { throw .invalidSubnet(requested, reason: "smaller than a /30 leaves no endpoint address") }
            if let length = Self.sizeOnly(requested) {
                guard length >= automaticPool.length else {
                    throw .invalidSubnet(requested, reason: "larger than the automatic pool \(automaticPool)")
                }
                subnet = try automaticSubnet(avoiding: existing.map(\.subnet), length: length)
            } else {
                if let range = requested.specialPurposeRange {
                    throw .invalidSubnet(requested, reason: "\(range), a special-purpose range no network can use")
                }
                if let clash = existing.first(where: { $0.subnet.overlaps(requested) }) {
                    throw .subnetOverlaps(requested: requested, network: clash.name, subnet: clash.subnet)
                }
                subnet = requested
            }
        } else {
            subnet = try automaticSubnet(avoiding: existing.map(\.subnet))
        }
        // The first address after the network address, as Docker picks a gateway.
        let gateway = subnet.address(atOrdinal: 1)
        return LogicalNetwork(name: name, subnet: subnet, gateway: gateway,
                              vni: try vni(for: name, taken: Set(existing.map(\.vni))), createdBy: host)
    }

    /// The size of Docker 29's size-only request (`--subnet 0.0.0.0/N`: any free /N), or nil
    /// for a subnet meant as given.
    package static func sizeOnly(_ requested: IPPrefix) -> Int? {
        requested.network.value == 0 && requested.length > 0 ? requested.length : nil
    }

    func automaticSubnet(avoiding taken: [IPPrefix], length: Int? = nil) throws(MultiHostError) -> IPPrefix {
        let length = length ?? automaticPrefixLength
        guard length >= automaticPool.length, length <= automaticPool.family.bitWidth else {
            throw .poolExhausted(automaticPool, prefixLength: length)
        }
        let count = UInt128(1) << UInt128(length - automaticPool.length)
        let step = UInt128(1) << UInt128(automaticPool.family.bitWidth - length)
        var index: UInt128 = 0
        while index < count {
            let candidate = IPPrefix(address: automaticPool.address(atOrdinal: index * step), length: length)!
            if !taken.contains(where: { $0.overlaps(candidate) }) { return candidate }
            index += 1
        }
        throw .poolExhausted(automaticPool, prefixLength: length)
    }

    func vni(for name: String, taken: Set<UInt32>) throws(MultiHostError) -> UInt32 {
        // FNV-1a: stable across processes and releases, unlike Hasher.
        var hash: UInt32 = 2_166_136_261
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        let span = LogicalNetwork.vniRange.upperBound - LogicalNetwork.vniRange.lowerBound + 1
        var offset = hash % span
        for _ in 0..<min(span, UInt32(taken.count) + 1) {
            let candidate = LogicalNetwork.vniRange.lowerBound + offset
            if !taken.contains(candidate) { return candidate }
            offset = (offset + 1) % span
        }
        throw .noVNI
    }
}
