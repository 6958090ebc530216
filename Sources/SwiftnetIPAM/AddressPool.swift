import SwiftnetAddress

/// One pool in memory: its record, the used ordinals and the sticky names.
struct AddressPool: Sendable {
    private(set) var record: PoolRecord
    private(set) var used: AddressSet
    /// Ordinals that are never handed out: network and broadcast (IPv4 shorter than /31;
    /// RFC 3021 point-to-point /31s and /32s use every address), the subnet-router anycast
    /// address (IPv6, every length, as moby's allocator: a /127 hands out only `…1`, a /128
    /// nothing).
    let reserved: [UInt128]
    /// Ordinals dynamic allocation draws from: the sub-pool, or the whole pool.
    let dynamicRange: ClosedRange<UInt128>
    private(set) var allocatedCount = 0
    /// How many of them are in `dynamicRange`.
    private(set) var rangeAllocatedCount = 0
    private(set) var sticky: StickyNames
    /// Address → the container name it was handed out for (Docker 29+ names its requests).
    /// Keyed by address: two containers of one name (a rename, then a new container under
    /// the old name) each keep their own entry, and releasing one leaves the other's.
    private var nameOfHolder: [IPAddress: String] = [:]
    /// The last address handed out dynamically and its sequence; the next search starts after it.
    private(set) var cursor: (address: IPAddress, sequence: Int64)?

    init(record: PoolRecord, stickyCapacity: Int) {
        self.record = record
        sticky = StickyNames(capacity: stickyCapacity)
        let prefix = record.prefix
        var used = AddressSet(lastOrdinal: prefix.lastOrdinal)
        var reserved: [UInt128] = []
        switch prefix.family {
        case .v4 where prefix.length < 31: reserved = [0, prefix.lastOrdinal]
        case .v6: reserved = [0]
        default: break
        }
        for ordinal in reserved { used.insert(ordinal) }
        self.used = used
        self.reserved = reserved
        if let sub = record.subPool, let low = prefix.ordinal(of: sub.first), let high = prefix.ordinal(of: sub.last) {
            dynamicRange = low...high
        } else {
            dynamicRange = 0...prefix.lastOrdinal
        }
    }

    var prefix: IPPrefix { record.prefix }
    var id: String { record.id }

    /// `swiftnet.sticky=false` turns name-sticky addresses off for this pool.
    var isSticky: Bool { record.options[IPAMOptions.sticky]?.lowercased() != "false" }

    /// Addresses that can ever be handed out.
    var capacity: UInt128 {
        // Written so that neither a /128 (one address, reserved) nor a /0 can overflow.
        reserved.isEmpty ? prefix.lastOrdinal + 1 : prefix.lastOrdinal - UInt128(reserved.count - 1)
    }

    func isFree(_ address: IPAddress) -> Bool {
        guard let ordinal = prefix.ordinal(of: address) else { return false }
        return !used.contains(ordinal)
    }

    func isReserved(_ address: IPAddress) -> Bool {
        guard let ordinal = prefix.ordinal(of: address) else { return false }
        return reserved.contains(ordinal)
    }

    func isAllocated(_ address: IPAddress) -> Bool {
        guard let ordinal = prefix.ordinal(of: address) else { return false }
        return used.contains(ordinal) && !reserved.contains(ordinal)
    }

    /// Next free address after the cursor, wrapping round inside the dynamic range, so that a
    /// just-released address is not handed out again at once.
    /// The next free address after the cursor (wrapping once), not one of `excluding`.
    func nextDynamic(excluding: Set<IPAddress> = []) -> IPAddress? {
        var start: UInt128
        if let cursor, let ordinal = prefix.ordinal(of: cursor.address), ordinal < dynamicRange.upperBound {
            start = ordinal + 1
        } else {
            start = dynamicRange.lowerBound
        }
        // Each excluded address found moves the search past it: at most `excluding.count` more
        // searches, and never a second lap (the first address found again ends it).
        var first: UInt128?
        for _ in 0...excluding.count {
            guard let found = used.firstFree(in: dynamicRange, from: start), found != first else { return nil }
            let address = prefix.address(atOrdinal: found)
            if !excluding.contains(address) { return address }
            if first == nil { first = found }
            start = found == dynamicRange.upperBound ? dynamicRange.lowerBound : found + 1
        }
        return nil
    }

    /// Lowest free address of the whole pool: where a gateway goes (`.1`).
    func lowestFree() -> IPAddress? {
        used.firstFree(in: 0...prefix.lastOrdinal, from: 0).map(prefix.address(atOrdinal:))
    }

    func stickyAddress(for name: String) -> IPAddress? { sticky.address(for: name) }

    /// `swiftnet.scope`, if the pool was made with one.
    var scope: String? { record.options[IPAMOptions.scope] }

    /// Whether addresses are probed on the LAN before they are handed out.
    var probesBeforeUse: Bool { record.options[IPAMOptions.probe] == IPAMOptions.probeARP }

    func holderName(of address: IPAddress) -> String? { nameOfHolder[address] }

    var nextSequence: Int64 { (cursor?.sequence ?? 0) + 1 }

    mutating func apply(_ allocation: AllocationRecord, sticky update: StickyUpdate?) {
        guard let ordinal = prefix.ordinal(of: allocation.address) else { return }
        if used.insert(ordinal) { count(ordinal, by: 1) }
        if let sequence = allocation.sequence, sequence > (cursor?.sequence ?? 0) {
            cursor = (allocation.address, sequence)
        }
        if let update { sticky.apply(update) }
        if let name = allocation.name { hold(allocation.address, name: name) }
    }

    private mutating func count(_ ordinal: UInt128, by change: Int) {
        allocatedCount += change
        if dynamicRange.contains(ordinal) { rangeAllocatedCount += change }
    }

    /// Addresses dynamic allocation can ever hand out: `dynamicRange` without the reserved ones.
    var rangeCapacity: UInt128 {
        UInt128(dynamicRange.upperBound - dynamicRange.lowerBound) + 1 - UInt128(reserved.filter(dynamicRange.contains).count)
    }

    mutating func hold(_ address: IPAddress, name: String) {
        nameOfHolder[address] = name
    }

    mutating func applyRelease(_ address: IPAddress) {
        guard let ordinal = prefix.ordinal(of: address), !reserved.contains(ordinal), used.remove(ordinal) else { return }
        count(ordinal, by: -1)
        nameOfHolder[address] = nil
    }

    /// Start-up: marks `addresses` used; addresses outside the pool are ignored.
    mutating func restore(used addresses: [IPAddress], cursor: (address: IPAddress, sequence: Int64)?) {
        for address in addresses {
            if let ordinal = prefix.ordinal(of: address), !reserved.contains(ordinal), used.insert(ordinal) {
                count(ordinal, by: 1)
            }
        }
        self.cursor = cursor
    }

    /// Start-up: returns the names the bounds pushed out (see `StickyNames.restore`).
    mutating func restoreSticky(_ record: StickyRecord) -> [String] {
        sticky.restore(record)
    }
}

/// IPAM option keys swiftnet reads (`--ipam-opt`) and request option keys dockerd sends.
package enum IPAMOptions {
    /// `false` disables handing a container name its previous address again.
    package static let sticky = "swiftnet.sticky"
    /// RequestAddress option naming the kind of request.
    package static let requestAddressType = "RequestAddressType"
    package static let gatewayRequest = "com.docker.network.gateway"
    /// The container name, sent by dockerd 29+ in RequestAddress options.
    package static let endpointName = "com.docker.network.endpoint.name"
    /// The link a pool's subnet lives behind (a macvlan/ipvlan parent). Pools of different
    /// scopes may overlap: two LANs behind two parents can both be 192.168.1.0/24.
    package static let scope = "swiftnet.scope"
    /// `arp`: before handing out an address, ask the LAN whether someone already uses it
    /// (an `AddressProbe`); one that answers is skipped.
    package static let probe = "swiftnet.probe"
    package static let probeARP = "arp"
}
