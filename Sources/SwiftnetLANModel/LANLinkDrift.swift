/// A stacked link as the kernel shows it, in the model's terms (the kernel layer fills it).
package struct ObservedLANLink: Sendable, Equatable {
    /// The rtnetlink kind ("macvlan", "ipvlan", "vlan", "veth", …); nil for physical links.
    package var kind: String?
    /// The parent's name, nil when it has none in the same namespace.
    package var parentName: String?
    package var macvlanMode: MacvlanMode?
    package var ipvlanMode: IPvlanMode?
    package var vlanID: Int?

    package init(kind: String?, parentName: String?, macvlanMode: MacvlanMode? = nil, ipvlanMode: IPvlanMode? = nil,
                 vlanID: Int? = nil) {
        self.kind = kind
        self.parentName = parentName
        self.macvlanMode = macvlanMode
        self.ipvlanMode = ipvlanMode
        self.vlanID = vlanID
    }
}

/// How a link swiftnet made (a host shim, an owned `eth0.50`) differs from its record: what
/// `doctor` reports and start-up reconciliation repairs (by deleting and re-creating it).
/// Container interfaces are out of scope: they live in containers' namespaces.
package enum LANLinkDrift {
    /// Empty when the link is as recorded; otherwise one sentence per difference.
    /// ipvlan's flag is not compared: the kernel layer cannot read it back (libnl 3.7).
    package static func differences(_ name: String, expected: LANLinkKind, parent: String,
                                    observed: ObservedLANLink?) -> [String] {
        guard let observed else { return ["\(name) is missing (\(expected) on \(parent))"] }
        guard observed.kind == expected.kernelKind else {
            return ["\(name) is \(observed.kind.map { "a \($0) link" } ?? "a physical link"), not \(expected.kernelKind)"]
        }
        var found: [String] = []
        if observed.parentName != parent {
            found.append("\(name) is on \(observed.parentName ?? "no parent in this namespace"), not on \(parent)")
        }
        switch expected {
        case .macvlan(let mode) where observed.macvlanMode != mode:
            found.append("\(name) is in macvlan mode \(observed.macvlanMode?.rawValue ?? "unknown"), not \(mode.rawValue)")
        case .ipvlan(let mode, _) where observed.ipvlanMode != mode:
            found.append("\(name) is in ipvlan mode \(observed.ipvlanMode?.rawValue ?? "unknown"), not \(mode.rawValue)")
        case .vlan(let id) where observed.vlanID != id:
            found.append("\(name) tags vlan \(observed.vlanID.map(String.init) ?? "unknown"), not \(id)")
        default:
            break
        }
        return found
    }
}
