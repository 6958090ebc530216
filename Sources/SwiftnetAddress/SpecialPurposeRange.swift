/// An address range with a fixed meaning (RFC 6890 and its IANA registries) that no bridge
/// network can use: its addresses never reach a bridge, or mean something else to every host.
package struct SpecialPurposeRange: Sendable, Equatable, CustomStringConvertible {
    package let prefix: IPPrefix
    /// What the range is, e.g. "loopback".
    package let meaning: String

    init(_ prefix: String, _ meaning: String) {
        guard let parsed = IPPrefix(prefix) else { preconditionFailure("\(prefix) is a valid prefix") }
        self.prefix = parsed
        self.meaning = meaning
    }

    /// `127.0.0.0/8 is loopback`.
    package var description: String { "\(prefix) is \(meaning)" }

    /// The ranges refused as pools and gateways. Docker 29's size-only pools (`0.0.0.0/N`,
    /// `::/N`) are requests for any free pool, not these ranges; callers tell them apart first.
    package static let all: [SpecialPurposeRange] = [
        SpecialPurposeRange("0.0.0.0/8", "\"this network\" (source addresses only, RFC 1122)"),
        SpecialPurposeRange("127.0.0.0/8", "loopback"),
        SpecialPurposeRange("169.254.0.0/16", "link-local (RFC 3927)"),
        SpecialPurposeRange("224.0.0.0/4", "multicast"),
        SpecialPurposeRange("240.0.0.0/4", "reserved (class E and the limited broadcast address)"),
        SpecialPurposeRange("::/128", "the unspecified address"),
        SpecialPurposeRange("::1/128", "loopback"),
        SpecialPurposeRange("::ffff:0:0/96", "IPv4-mapped (RFC 4291)"),
        SpecialPurposeRange("fe80::/10", "link-local"),
        SpecialPurposeRange("ff00::/8", "multicast"),
    ]
}
