import SwiftnetAddress

/// The names of swiftnet's own chains for one prefix. Everything the firewall creates is one
/// of these five chains or a jump into them, so "ours" is decided by exact name, never by a
/// pattern that could catch someone else's chain.
package struct FirewallChains: Sendable, Equatable {
    package let prefix: String
    /// filter: jumped to from FORWARD; decides every packet in or out of a swiftnet bridge.
    package let forward: String
    /// filter: entered for packets leaving a swiftnet bridge for another bridge; drops them.
    package let isolation: String
    /// nat: jumped to from POSTROUTING; masquerade.
    package let postrouting: String
    /// nat: jumped to from PREROUTING and OUTPUT for local destinations; published ports.
    package let dnat: String
    /// raw: jumped to from PREROUTING (IPv4); drops what containers send to the host's
    /// loopback addresses, which `route_localnet=1` on the bridges would otherwise deliver.
    package let loopback: String

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
        postrouting = prefix + "-POSTROUTING"
        dnat = prefix + "-DNAT"
        loopback = prefix + "-LOOPBACK"
    }

    /// Our chains in the filter table.
    package var filter: [String] { [forward, isolation] }
    /// Our chains in the nat table.
    package var nat: [String] { [dnat, postrouting] }
    /// Our chains in the raw table.
    package var raw: [String] { [loopback] }

    /// Every table we have chains in for `family`, in the order the rendering and
    /// `iptables-save` comparisons use. The raw chain is IPv4's alone (the loopback drop has
    /// no IPv6 twin), so a kernel without ip6tables' raw table loses nothing.
    package func byTable(family: IPFamily) -> [(table: String, chains: [String])] {
        family == .v4 ? [("filter", filter), ("nat", nat), ("raw", raw)] : [("filter", filter), ("nat", nat)]
    }
}
