/// The two address families Docker's IPAM protocol knows (`V6: false|true`).
package enum IPFamily: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case v4
    case v6

    /// Number of bits in an address of this family.
    package var bitWidth: Int { self == .v4 ? 32 : 128 }

    package var description: String { self == .v4 ? "IPv4" : "IPv6" }
}
