import SwiftnetAddress

/// The host link a macvlan or ipvlan network stacks its children on (`-o parent=…`).
///
/// A name that is not a link yet may still be usable: `NAME.VID` (as Docker's drivers read it)
/// is an 802.1q sub-interface of NAME that the network creates, and deletes with its last user.
package struct ParentLink: Sendable, Hashable, CustomStringConvertible {
    package let name: String

    /// Checks the kernel's rules for interface names (LinkName), so a bad name fails here by
    /// name instead of as netlink's "Invalid input data" later.
    package init(_ name: String) throws(LANModelError) {
        if let problem = LinkName.problem(name) { throw .invalidParentName(name, reason: problem) }
        func refuse(_ reason: String) -> LANModelError { .invalidParentName(name, reason: reason) }
        // The kernel refuses loopback as a macvlan/ipvlan lower device with a bare EINVAL.
        guard name != "lo" else { throw refuse("the loopback interface is not a valid parent link") }
        self.name = name
    }

    /// 802.1q ids 0 and 4095 are reserved.
    package static let vlanIDs = 1...4094

    package var description: String { name }

    /// This name read as `NAME.VID`: what to create when no link has this name.
    package func vlanSubinterface() throws(LANModelError) -> VLANSubinterface {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            throw .invalidVLANSubinterface(name, reason: "a missing parent is created only from a name of the form NAME.VID")
        }
        let base = String(parts[0]), digits = parts[1]
        guard !base.isEmpty else { throw .invalidVLANSubinterface(name, reason: "no link name before the '.'") }
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              digits.count <= 4, let id = Int(digits)
        else { throw .invalidVLANSubinterface(name, reason: "'\(digits)' is not a VLAN id") }
        guard ParentLink.vlanIDs.contains(id) else {
            throw .invalidVLANSubinterface(name, reason: "vlan id must be between 1-4094, received: \(id)")
        }
        return VLANSubinterface(name: name, base: try ParentLink(base), id: id)
    }
}

/// An 802.1q sub-interface: `name` (e.g. `eth0.50`) tags its traffic with `id` on `base`.
package struct VLANSubinterface: Sendable, Hashable {
    package let name: String
    package let base: ParentLink
    package let id: Int

    package init(name: String, base: ParentLink, id: Int) {
        self.name = name
        self.base = base
        self.id = id
    }
}

/// Where a new network's parent comes from.
package enum ParentPlan: Sendable, Equatable {
    /// The link the network's children go on.
    package var linkName: String {
        switch self {
        case .existing(let parent): return parent.name
        case .createVLAN(let sub): return sub.name
        case .createDummy(let name): return name
        }
    }

    /// A dummy parent leads nowhere: the network is internal whatever `--internal` says (as in
    /// Docker's drivers), so Join returns no gateway and no default route.
    package var makesNetworkInternal: Bool {
        if case .createDummy = self { return true }
        return false
    }

    /// Whether swiftnet made the parent, and so deletes it with the last network on it.
    package var isOwned: Bool {
        if case .existing = self { return false }
        return true
    }

    /// The link exists: use it as it is, never delete it.
    case existing(ParentLink)
    /// Create the sub-interface (and own it: delete it with the last network on it).
    case createVLAN(VLANSubinterface)
    /// No parent given: create a dummy link of the network's own (Docker's names: `dm-` for
    /// macvlan, `di-` for ipvlan, then the network id's first 12 characters); the network is
    /// internal, since a dummy leads nowhere.
    case createDummy(name: String)

    /// Decides from which links exist now. A name that exists is used as it is, even if it looks
    /// like `NAME.VID` (Docker's drivers do the same).
    package static func decide(_ parent: ParentLink?, childKind: LANLinkKind, networkID: String,
                               linkExists: (String) -> Bool) throws(LANModelError) -> ParentPlan {
        guard let parent else {
            let prefix: String
            if case .ipvlan = childKind { prefix = "di-" } else { prefix = "dm-" }
            return .createDummy(name: prefix + networkID.prefix(12))
        }
        return try decide(parent, linkExists: linkExists)
    }

    package static func decide(_ parent: ParentLink, linkExists: (String) -> Bool) throws(LANModelError) -> ParentPlan {
        if linkExists(parent.name) { return .existing(parent) }
        guard parent.name.contains(".") else { throw .parentMissing(parent.name) }
        let subinterface = try parent.vlanSubinterface()
        guard linkExists(subinterface.base.name) else { throw .parentMissing(subinterface.base.name) }
        return .createVLAN(subinterface)
    }
}
