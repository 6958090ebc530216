import SwiftnetAddress
import SwiftnetNetworkModel

/// A kernel link as the doctor compares it with the records: read through netlink by the
/// effects side, compared by `Diagnosis` (pure).
package struct ObservedLink: Sendable, Equatable {
    package var name: String
    /// rtnetlink kind: "bridge", "veth", …; nil for physical devices.
    package var kind: String?
    package var mtu: Int
    package var isUp: Bool
    /// Name of the bridge it is attached to.
    package var master: String?
    package var group: UInt32
    /// Only filled for the bridges of recorded networks (the doctor checks no other addresses).
    package var addresses: [InterfaceAddress]
    /// IFLA_IFALIAS: on an endpoint's host veth, the full id of the endpoint it belongs to.
    package var alias: String?

    package init(name: String, kind: String?, mtu: Int, isUp: Bool, master: String?, group: UInt32,
                addresses: [InterfaceAddress] = [], alias: String? = nil) {
        self.alias = alias
        self.name = name
        self.kind = kind
        self.mtu = mtu
        self.isUp = isUp
        self.master = master
        self.group = group
        self.addresses = addresses
    }
}

/// What a link no record owns is to a swiftnet server: the one rule behind the doctor's
/// orphan findings and the reconciliation's sweep, so the two never disagree.
package enum Leftover: Sendable, Equatable {
    /// On one of the server's bridges: a `swv…` veth, or a link of its group.
    case onBridge(String)
    /// Made by the server (its link group), on no bridge of its own.
    case made
    /// Retired by the server, waiting for its batch delete.
    case retired
}

extension ObservedLink {
    /// Whether this link can be endpoint `id`'s host veth: its alias names that endpoint, or
    /// it has none (veths made before swiftnet wrote aliases, or in the moment between the
    /// pair's creation and its alias). A link whose alias names another is someone else's.
    package func mayBelong(toEndpoint id: String) -> Bool {
        ObservedLink.alias(alias, mayBelongTo: id)
    }

    /// The rule behind `mayBelong(toEndpoint:)`, for a link read another way.
    package static func alias(_ alias: String?, mayBelongTo endpointID: String) -> Bool {
        alias == nil || alias == endpointID
    }

    /// A bridge this server made (kind bridge, its link group). Others of the same name are
    /// never changed, deleted, nor given containers.
    package func isBridge(madeBy group: UInt32) -> Bool {
        kind == "bridge" && self.group == group
    }

    /// What this link is to the server of `group` whose bridges are `bridges`, if it is a
    /// leftover of it; nil for everyone else's links. The caller checks no record owns it.
    package func leftover(ofGroup group: UInt32, bridges: Set<String>) -> Leftover? {
        if self.group == group | 1 { return .retired }
        if let master, bridges.contains(master),
           self.group == group || (kind == "veth" && InterfaceNames.isHostVeth(name)) {
            return .onBridge(master)
        }
        return self.group == group ? .made : nil
    }
}

/// How swiftnet's iptables chains differ from what the records render to.
package struct FirewallDrift: Sendable, Equatable {
    /// One rule as iptables-save prints it, with its family and table.
    package struct Rule: Sendable, Equatable {
        package var family: String
        package var table: String
        package var rule: String

        package init(family: String, table: String, rule: String) {
            self.family = family
            self.table = table
            self.rule = rule
        }
    }

    package var missing: [Rule]
    package var unexpected: [Rule]
    /// Per table whose rules are all there in another order: the first one out of place.
    package var misordered: [Rule]
    /// Jumps from built-in chains into ours that are not there (`rule` is `CHAIN matches…`).
    package var missingJumps: [Rule]
    /// The FORWARD jump, there but with other rules above it.
    package var jumpsNotFirst: [Rule]

    package var differences: Int { missing.count + unexpected.count + misordered.count + missingJumps.count + jumpsNotFirst.count }
    package var isEmpty: Bool { differences == 0 }

    package init(missing: [Rule] = [], unexpected: [Rule] = [], misordered: [Rule] = [], missingJumps: [Rule] = [],
                jumpsNotFirst: [Rule] = []) {
        self.missing = missing
        self.unexpected = unexpected
        self.misordered = misordered
        self.missingJumps = missingJumps
        self.jumpsNotFirst = jumpsNotFirst
    }
}
