/// A macvlan or ipvlan network as far as sharing its parent matters.
package struct ParentUse: Sendable, Equatable {
    /// The network's name as the user knows it (or its id), for the refusal text.
    package var network: String
    package var parent: String
    package var childKind: LANLinkKind

    package init(network: String, parent: String, childKind: LANLinkKind) {
        self.network = network
        self.parent = parent
        self.childKind = childKind
    }
}

/// Which networks may share a parent: the kernel's rules and Docker's, refused at
/// CreateNetwork with the reason instead of failing later at the first container.
package enum ParentSharing {
    /// Throws `parentInUse` when a network of `childKind` cannot join the networks in `existing`
    /// (any parents; only those on `parent` count).
    package static func check(_ childKind: LANLinkKind, on parent: String, existing: [ParentUse]) throws(LANModelError) {
        for other in existing where other.parent == parent {
            switch (childKind, other.childKind) {
            case (.macvlan(.passthru), _):
                // Docker's words.
                throw .parentInUse(parent: parent, reason: "cannot use mode passthru, network \(other.network) already using parent \(parent) (passthru takes the whole link)")
            case (_, .macvlan(.passthru)):
                throw .parentInUse(parent: parent, reason: "network \(other.network) uses it in macvlan passthru mode, which takes the whole link")
            case (.ipvlan, .ipvlan):
                throw .parentInUse(parent: parent, reason: "network \(other.network) is already using parent interface \(parent) (ipvlan allows one network per parent)")
            case (.ipvlan, .macvlan), (.macvlan, .ipvlan):
                throw .parentInUse(parent: parent, reason: "network \(other.network) puts \(other.childKind.kernelKind) interfaces on it, and the kernel does not host macvlan and ipvlan interfaces on one parent")
            case (.macvlan, .macvlan):
                continue
            case (.vlan, _), (_, .vlan):
                continue
            }
        }
    }
}
