import SwiftnetNetworkModel

/// A kernel link as the doctor compares it with the records: read through netlink by the
/// effects side, compared by `Diagnosis` (pure).
public struct ObservedLink: Sendable, Equatable {
    public var name: String
    /// rtnetlink kind: "bridge", "veth", …; nil for physical devices.
    public var kind: String?
    public var mtu: Int
    public var isUp: Bool
    /// Name of the bridge it is attached to.
    public var master: String?
    public var group: UInt32
    /// Only filled for the bridges of recorded networks (the doctor checks no other addresses).
    public var addresses: [InterfaceAddress]

    public init(name: String, kind: String?, mtu: Int, isUp: Bool, master: String?, group: UInt32,
                addresses: [InterfaceAddress] = []) {
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.isUp = isUp
        self.master = master
        self.group = group
        self.addresses = addresses
    }
}

/// How swiftnet's iptables chains differ from what the records render to.
public struct FirewallDrift: Sendable, Equatable {
    /// One rule as iptables-save prints it, with its family and table.
    public struct Rule: Sendable, Equatable {
        public var family: String
        public var table: String
        public var rule: String

        public init(family: String, table: String, rule: String) {
            self.family = family
            self.table = table
            self.rule = rule
        }
    }

    public var missing: [Rule]
    public var unexpected: [Rule]
    /// Per table whose rules are all there in another order: the first one out of place.
    public var misordered: [Rule]
    /// Jumps from built-in chains into ours that are not there (`rule` is `CHAIN matches…`).
    public var missingJumps: [Rule]
    /// The FORWARD jump, there but with other rules above it.
    public var jumpsNotFirst: [Rule]

    public var differences: Int { missing.count + unexpected.count + misordered.count + missingJumps.count + jumpsNotFirst.count }
    public var isEmpty: Bool { differences == 0 }

    public init(missing: [Rule] = [], unexpected: [Rule] = [], misordered: [Rule] = [], missingJumps: [Rule] = [],
                jumpsNotFirst: [Rule] = []) {
        self.missing = missing
        self.unexpected = unexpected
        self.misordered = misordered
        self.missingJumps = missingJumps
        self.jumpsNotFirst = jumpsNotFirst
    }
}
