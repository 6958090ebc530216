/// An address with the prefix length it is configured with (`172.18.0.2/16`).
package struct InterfaceAddress: Sendable, Equatable, CustomStringConvertible {
    package var address: IPAddress
    package var prefixLength: Int

    package init(address: IPAddress, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    package init?(cidr: String) {
        guard let (address, length) = IPPrefix.parseCIDR(cidr) else { return nil }
        self.init(address: address, prefixLength: length)
    }

    package var description: String { "\(address)/\(prefixLength)" }
}
