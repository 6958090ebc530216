extension IPPrefix {
    /// The first special-purpose range this prefix overlaps (lies in or contains), or nil.
    package var specialPurposeRange: SpecialPurposeRange? {
        SpecialPurposeRange.all.first { $0.prefix.overlaps(self) }
    }

    /// What `address` is in this prefix when no host may take it as its own: the network and
    /// broadcast addresses of IPv4 shorter than /31 (RFC 3021), the subnet-router anycast
    /// address of IPv6 shorter than /127 (RFC 4291 §2.6.1). Nil for any other address.
    package func reservedRole(of address: IPAddress) -> String? {
        guard let ordinal = ordinal(of: address) else { return nil }
        switch family {
        case .v4 where length < 31:
            if ordinal == 0 { return "the network address" }
            if ordinal == lastOrdinal { return "the broadcast address" }
        case .v6 where length < 127:
            if ordinal == 0 { return "the subnet-router anycast address" }
        default:
            break
        }
        return nil
    }
}

extension IPAddress {
    /// The special-purpose range holding this address, or nil.
    package var specialPurposeRange: SpecialPurposeRange? {
        SpecialPurposeRange.all.first { $0.prefix.contains(self) }
    }
}
