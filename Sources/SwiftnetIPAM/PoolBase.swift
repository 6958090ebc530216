import SwiftnetAddress

/// A range that automatic pools are cut from: `base` split into subnets of length `size`
/// (dockerd's `default-address-pools` entry `{base, size}`).
package struct PoolBase: Sendable, Equatable, CustomStringConvertible {
    package var base: IPPrefix
    package var size: Int

    package init(base: IPPrefix, size: Int) {
        self.base = base
        self.size = size
    }

    /// Parses `base=172.30.0.0/16,size=24`, dockerd's own flag syntax.
    package init?(flag: String) {
        var base: IPPrefix?
        var size: Int?
        for part in flag.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard pair.count == 2 else { return nil }
            switch pair[0] {
            case "base": base = IPPrefix(pair[1])
            case "size": size = Int(pair[1])
            default: return nil
            }
        }
        guard let base, let size, size >= base.length, size <= base.family.bitWidth else { return nil }
        self.init(base: base, size: size)
    }

    package var description: String { "base=\(base),size=\(size)" }

    /// dockerd's predefined local pools: 172.17–31.0.0/16, then 192.168.0.0/16 in /20s.
    package static let dockerLocalV4: [PoolBase] = [
        PoolBase(base: IPPrefix("172.17.0.0/16")!, size: 16),
        PoolBase(base: IPPrefix("172.18.0.0/16")!, size: 16),
        PoolBase(base: IPPrefix("172.19.0.0/16")!, size: 16),
        PoolBase(base: IPPrefix("172.20.0.0/14")!, size: 16),
        PoolBase(base: IPPrefix("172.24.0.0/14")!, size: 16),
        PoolBase(base: IPPrefix("172.28.0.0/14")!, size: 16),
        PoolBase(base: IPPrefix("192.168.0.0/16")!, size: 20),
    ]

    /// dockerd's predefined global pools: 10.0.0.0/8 in /24s.
    package static let dockerGlobalV4: [PoolBase] = [PoolBase(base: IPPrefix("10.0.0.0/8")!, size: 24)]

    /// A unique-local /48 split into /64s, as dockerd 27+ derives one per host. `globalID` is
    /// 40 random bits kept in the state file, so the prefix is stable for this host.
    package static func uniqueLocalV6(globalID: UInt64) -> PoolBase {
        let value = (UInt128(0xFD) << 120) | (UInt128(globalID & 0xFF_FFFF_FFFF) << 80)
        return PoolBase(base: IPPrefix(address: IPAddress(family: .v6, value: value), length: 48)!, size: 64)
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
