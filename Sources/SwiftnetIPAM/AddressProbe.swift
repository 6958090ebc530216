import SwiftnetAddress

/// Asks the network whether something swiftnet does not know (a LAN host, another DHCP
/// server's client) already uses an address, for pools made with `swiftnet.probe=arp`. The
/// IPAM knows only this protocol; the plugin answers it with an ARP/NDP probe on the link.
package protocol AddressProbe: Sendable {
    /// True when something answers for `address` within the probe's timeout. Throws when the
    /// probe cannot be made (no link known for the pool, the link is down): the request fails
    /// rather than hand out an address nobody checked.
    func isInUse(_ address: IPAddress, pool: PoolRecord) throws -> Bool
}
