/// The two address families Docker's IPAM protocol knows (`V6: false|true`).
public enum IPFamily: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case v4
    case v6

    /// Number of bits in an address of this family.
    public var bitWidth: Int { self == .v4 ? 32 : 128 }

    public var description: String { self == .v4 ? "IPv4" : "IPv6" }
}
