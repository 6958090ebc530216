import SwiftnetAddress

/// The names of swiftnet's own chains for one prefix. Everything the firewall creates is one
/// of these eight chains, one of the bucket or branch chains below, or a jump into them, so
/// "ours" is decided by exact name, never by a pattern that could catch someone else's chain.
///
/// Each network's forwarding rules sit in a branch chain chosen by the first character after
/// `swn-` in its bridge's name (`branch(of:)`; hex for every name swiftnet derives): `P-FORWARD`
/// jumps there with `-i swn-7+` and `-o swn-7+`. iptables tries rules one after another for
/// every packet, ~40 ns each here: with one list, a packet of the newest of 1,000 networks
/// passed ~7,000 rules; now it passes at most 32 jumps and its branch's rules
/// (`swiftnet-bench forwarding`).
///
/// Published ports are spread over `bucketCount` buckets by container address (see
/// `bucket(of:)`): each bucket has a chain per kind of rule (`P-ACCEPT-07`, `P-DNAT-07`,
/// `P-HAIRPIN-07`), and exists only while it holds rules. A container start or stop then
/// changes one small chain of each kind: `iptables-restore` (nft backend) reads every rule of
/// a chain it inserts into or deletes from, so patching one chain that holds every published
/// port cost as much as all the ports on the host.
package struct FirewallChains: Sendable, Equatable {
    package let prefix: String
    /// filter: jumped to from FORWARD; decides every packet in or out of a swiftnet bridge.
    package let forward: String
    /// filter: entered for packets leaving a swiftnet bridge for another bridge; drops them.
    package let isolation: String
    /// filter: entered for packets entering a swiftnet bridge from another interface; drops
    /// those that come from another bridge, ours or Docker's. `isolation` alone decides by
    /// order: a network created earlier accepts into its bridge before a later network's
    /// rules send the packet to `isolation`.
    package let inbound: String
    /// nat: jumped to from POSTROUTING; masquerade.
    package let postrouting: String
    /// nat: jumped to from PREROUTING and OUTPUT for local destinations; published ports.
    package let dnat: String
    /// raw: jumped to from PREROUTING (IPv4); drops what containers send to the host's
    /// loopback addresses, which `route_localnet=1` on the bridges would otherwise deliver.
    package let loopback: String
    /// filter: jumped to from each network's part of `forward`; jumps to the ACCEPT buckets
    /// of published ports.
    package let accept: String
    /// filter: jumped to first thing in `forward` for DNAT'ed packets while a port is
    /// published: each network's way to the published ports, before any network's isolation.
    /// A chain of its own, branched as `forward` is, so that a new network's two rules are
    /// appended to its branch.
    package let dnated: String

    /// Buckets of published ports. Fixed: the bucket of a port is part of the rendering, so it
    /// must not change with the number of ports (a restart re-renders byte for byte). 32
    /// keeps each bucket to ~30 rules at 1,000 publishing containers and the chain list short
    /// (`iptables-restore` lists every chain of a table on each run).
    package static let bucketCount = 32

    /// The prefix is code, not request data, but it is still checked: it becomes chain names
    /// (at most 28 bytes, so at most 16 for the prefix with "-POSTROUTING"), and a prefix
    /// starting with DOCKER could name one of Docker's chains (Docker 28 has DOCKER-FORWARD),
    /// which the next apply would flush. A command line taking a prefix can validate it by
    /// calling this initialiser.
    package init(prefix: String) throws(FirewallError) {
        let bytes = Array(prefix.utf8)
        guard (1...16).contains(bytes.count),
              bytes[0].isASCIILetter || bytes[0].isASCIIDigit,
              bytes.allSatisfy({ $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }),
              !prefix.uppercased().hasPrefix("DOCKER")
        else { throw .invalidPrefix(prefix) }
        self.prefix = prefix
        forward = prefix + "-FORWARD"
        isolation = prefix + "-ISOLATION"
        inbound = prefix + "-INBOUND"
        postrouting = prefix + "-POSTROUTING"
        dnat = prefix + "-DNAT"
        loopback = prefix + "-LOOPBACK"
        accept = prefix + "-ACCEPT"
        dnated = prefix + "-DNATED"
    }

    /// Our fixed chains in the filter table (declared whenever rules are rendered).
    package var filter: [String] { [forward, isolation, inbound, accept, dnated] }
    /// Our fixed chains in the nat table.
    package var nat: [String] { [dnat, postrouting] }
    /// Our chains in the raw table.
    package var raw: [String] { [loopback] }

    /// filter: ACCEPTs for the published ports of bucket `index`, jumped to from `accept`.
    package func acceptBucket(_ index: Int) -> String { accept + FirewallChains.suffix(index) }
    /// nat: DNATs of bucket `index`, jumped to from `dnat`.
    package func dnatBucket(_ index: Int) -> String { dnat + FirewallChains.suffix(index) }
    /// nat: hairpin masquerades of bucket `index`, jumped to from `postrouting`.
    package func hairpinBucket(_ index: Int) -> String { prefix + "-HAIRPIN" + FirewallChains.suffix(index) }

    private static func suffix(_ index: Int) -> String { index < 10 ? "-0\(index)" : "-\(index)" }

    /// The characters a branch is named by: the hex digits of the network ids bridge names
    /// are derived from.
    package static let branches = Array("0123456789abcdef")

    /// filter: the forwarding rules of the networks of branch `key`, jumped to from `forward`.
    package func forwardBranch(_ key: Character) -> String { forward + "-\(key)" }
    /// filter: the DNAT'ed-packet rules of the networks of branch `key`, jumped to from `dnated`.
    package func dnatedBranch(_ key: Character) -> String { dnated + "-\(key)" }

    /// The branch of a bridge: the character after `swn-` when it is one of `branches`; nil for
    /// other names (a `com.docker.network.bridge.name`), whose rules stay in the main chains.
    package static func branch(of bridge: String) -> Character? {
        guard bridge.hasPrefix(bridgePrefix), let key = bridge.dropFirst(bridgePrefix.count).first, branches.contains(key) else {
            return nil
        }
        return key
    }

    /// The start of the bridge names swiftnet derives (`InterfaceNames.bridgePrefix`). The
    /// isolation rules drop every interface named so (`swn-+`), whether this server made it or
    /// not, so a bridge so named needs no rule of its own there.
    package static let bridgePrefix = "swn-"

    /// Every table we may have chains in for `family`, and every name we may give a chain
    /// there (bucket and branch chains included, whether they exist or not), in the order the
    /// rendering and `iptables-save` comparisons use. The raw chain is IPv4's alone (the loopback drop
    /// has no IPv6 twin), so a kernel without ip6tables' raw table loses nothing.
    package func byTable(family: IPFamily) -> [(table: String, chains: [String])] {
        let buckets = 0..<FirewallChains.bucketCount
        let filter = self.filter + buckets.map(acceptBucket) + FirewallChains.branches.map(forwardBranch)
            + FirewallChains.branches.map(dnatedBranch)
        let nat = self.nat + buckets.map(dnatBucket) + buckets.map(hairpinBucket)
        return family == .v4 ? [("filter", filter), ("nat", nat), ("raw", raw)] : [("filter", filter), ("nat", nat)]
    }

    /// The bucket of a container address: FNV-1a over its bytes, so that it is the same in
    /// every process and release (the rendering must not change across a restart).
    package static func bucket(of address: IPAddress) -> Int {
        var hash: UInt32 = 2_166_136_261
        let count = address.family == .v4 ? 4 : 16
        for index in 0..<count {
            hash ^= UInt32(truncatingIfNeeded: address.value >> UInt128(8 * (count - 1 - index)))
            hash = hash &* 16_777_619
        }
        return Int(hash % UInt32(bucketCount))
    }
}
