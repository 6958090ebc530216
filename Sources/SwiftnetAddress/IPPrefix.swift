/// A CIDR prefix such as `172.18.0.0/16`, always held in canonical form (host bits zero).
package struct IPPrefix: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The network address.
    package let network: IPAddress
    package let length: Int

    package var family: IPFamily { network.family }

    /// Builds the prefix containing `address`; host bits are cleared.
    package init?(address: IPAddress, length: Int) {
        guard length >= 0, length <= address.family.bitWidth else { return nil }
        self.length = length
        self.network = IPAddress(family: address.family,
                                 value: address.value & IPPrefix.mask(family: address.family, length: length))
    }

    /// Parses `a.b.c.d/n` or `x::/n`. Host bits are cleared, as dockerd does with pools it is given.
    package init?(_ text: some StringProtocol) {
        guard let (address, length) = IPPrefix.parseCIDR(text) else { return nil }
        self.init(address: address, length: length)
    }

    /// Splits `address/length` text, the address kept as written. The length is 1 to 3 decimal
    /// digits, no sign or space (as Go's `net.ParseCIDR` reads it), and at most the family's width.
    package static func parseCIDR(_ text: some StringProtocol) -> (address: IPAddress, length: Int)? {
        guard let slash = text.firstIndex(of: "/"), let address = IPAddress(text[..<slash]) else { return nil }
        let digits = text[text.index(after: slash)...].utf8
        guard (1...3).contains(digits.count) else { return nil }
        var length = 0
        for digit in digits {
            guard digit >= UInt8(ascii: "0"), digit <= UInt8(ascii: "9") else { return nil }
            length = length * 10 + Int(digit - UInt8(ascii: "0"))
        }
        guard length <= address.family.bitWidth else { return nil }
        return (address, length)
    }

    static func mask(family: IPFamily, length: Int) -> UInt128 {
        let width = family.bitWidth
        if length == 0 { return 0 }
        let ones: UInt128 = width == 128 ? .max : 0xFFFF_FFFF
        return (ones << UInt128(width - length)) & ones
    }

    /// The highest ordinal in the prefix: number of addresses minus one (fits even for `::/0`).
    package var lastOrdinal: UInt128 {
        let hostBits = family.bitWidth - length
        return hostBits == 0 ? 0 : (hostBits == 128 ? .max : (UInt128(1) << UInt128(hostBits)) - 1)
    }

    package var first: IPAddress { network }
    package var last: IPAddress { IPAddress(family: family, value: network.value + lastOrdinal) }

    package func contains(_ address: IPAddress) -> Bool {
        address.family == family && address.value >= network.value && address.value - network.value <= lastOrdinal
    }

    package func contains(_ other: IPPrefix) -> Bool {
        other.family == family && other.length >= length && contains(other.network)
    }

    package func overlaps(_ other: IPPrefix) -> Bool {
        family == other.family && (contains(other.network) || other.contains(network))
    }

    /// Position of `address` inside the prefix (0 = network address).
    package func ordinal(of address: IPAddress) -> UInt128? {
        contains(address) ? address.value - network.value : nil
    }

    package func address(atOrdinal ordinal: UInt128) -> IPAddress {
        IPAddress(family: family, value: network.value + ordinal)
    }

    /// `address/length`, the form IPAM answers carry (the container gets the pool's prefix length).
    package func cidr(for address: IPAddress) -> String { "\(address)/\(length)" }

    package static func < (lhs: IPPrefix, rhs: IPPrefix) -> Bool {
        lhs.network == rhs.network ? lhs.length < rhs.length : lhs.network < rhs.network
    }

    package var description: String { "\(network)/\(length)" }
}
