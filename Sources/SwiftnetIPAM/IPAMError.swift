import SwiftnetAddress

/// Failures the IPAM reports to dockerd. The texts follow Docker's built-in IPAM where one
/// exists (users and scripts grep for them) and add the detail needed to act on them.
package enum IPAMError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownAddressSpace(String)
    case invalidPool(String)
    case invalidSubPool(String)
    case familyMismatch(pool: String, v6: Bool)
    case poolOverlap(requested: IPPrefix, existing: IPPrefix)
    case noPoolAvailable(family: IPFamily, size: Int?, conflicts: [String])
    case invalidPoolID(String)
    case unknownPool(String)
    case invalidAddress(String)
    case addressOutOfRange(IPAddress, pool: IPPrefix)
    case reservedAddress(IPAddress, pool: IPPrefix)
    case addressInUse(IPAddress, pool: IPPrefix)
    /// ReleaseAddress of an address a live endpoint of the network driver still holds.
    case addressStillHeld(IPAddress, pool: IPPrefix, by: String)
    case poolExhausted(IPPrefix, poolID: String)
    case invalidOption(key: String, value: String, expected: String)
    /// A pool or gateway in a range no network can use; `what` is e.g. "address pool 127.1.0.0/16".
    case specialPurpose(what: String, range: SpecialPurposeRange)
    /// `swiftnet.probe=arp`: the probe could not be made.
    case probeFailed(pool: IPPrefix, reason: String)
    /// `swiftnet.probe=arp`: every address tried answered on the LAN.
    case addressesInUseOnLink(pool: IPPrefix, found: [IPAddress])

    package var description: String {
        switch self {
        case .unknownAddressSpace(let space):
            return "cannot find address space \(space) (swiftnet knows LocalDefault and GlobalDefault)"
        case .invalidPool(let text):
            return "invalid address pool: \(text)"
        case .invalidSubPool(let text):
            return "invalid address subpool: \(text)"
        case .familyMismatch(let pool, let v6):
            return "invalid address pool: \(pool) is not an \(v6 ? "IPv6" : "IPv4") subnet"
        case .poolOverlap(let requested, let existing):
            return "invalid pool request: Pool overlaps with other one on this address space: \(requested) overlaps \(existing)"
        case .noPoolAvailable(let family, let size, let conflicts):
            let sized = size.map { " of size /\($0)" } ?? ""
            let why = conflicts.isEmpty ? "" : "; in use or overlapping host routes: " + conflicts.joined(separator: ", ")
            return "all predefined address pools have been fully subnetted: no free \(family) pool\(sized)\(why)"
        case .invalidPoolID(let id):
            return "invalid pool id: \(id)"
        case .unknownPool(let id):
            return "cannot find address pool for poolID:\(id)"
        case .invalidAddress(let text):
            return "invalid address: \(text)"
        case .addressOutOfRange(let address, let pool):
            return "requested address is out of range: \(address) is not in pool \(pool)"
        case .reservedAddress(let address, let pool):
            return "requested address is out of range: \(address) is the network or broadcast address of pool \(pool)"
        case .addressInUse(let address, let pool):
            return "Address already in use: \(address) in pool \(pool)"
        case .addressStillHeld(let address, let pool, let holder):
            return "address \(address) of pool \(pool) is not released: \(holder) still holds it (it is freed with it)"
        case .poolExhausted(let pool, let poolID):
            return "no available addresses on this pool: \(pool) (PoolID \(poolID)) is full"
        case .invalidOption(let key, let value, let expected):
            return "invalid IPAM option \(key)=\(value): expected \(expected)"
        case .specialPurpose(let what, let range):
            return "invalid \(what): \(range), a special-purpose range no network can use"
        case .probeFailed(let pool, let reason):
            return "cannot probe for a free address in \(pool) (swiftnet.probe=arp): \(reason)"
        case .addressesInUseOnLink(let pool, let found):
            return "no available addresses on this pool: \(pool): \(found.map(\.description).joined(separator: ", ")) answered on the link (swiftnet.probe=arp); free them or use a sub-pool (--ip-range) outside the LAN's DHCP range"
        }
    }
}
