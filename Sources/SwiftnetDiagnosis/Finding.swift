/// One difference between what swiftnet recorded and what the kernel holds: what it is, what
/// it means for containers, and how to repair it.
package struct Finding: Sendable, Equatable {
    package enum Kind: String, Sendable, CaseIterable {
        case networkUnfinished = "network-unfinished"
        case bridgeMissing = "bridge-missing"
        case bridgeTaken = "bridge-taken"
        case bridgeDown = "bridge-down"
        case bridgeMTU = "bridge-mtu"
        case gatewayMissing = "gateway-missing"
        case foreignAddress = "foreign-address"
        case endpointUnfinished = "endpoint-unfinished"
        case endpointStale = "endpoint-stale"
        case addressLeaked = "address-leaked"
        case vethDetached = "veth-detached"
        case vethDown = "veth-down"
        case vethMTU = "veth-mtu"
        case orphanVeth = "orphan-veth"
        case orphanLink = "orphan-link"
        case foreignPort = "foreign-port"
        case ruleMissing = "rule-missing"
        case ruleUnexpected = "rule-unexpected"
        case ruleOrder = "rule-order"
        case jumpMissing = "jump-missing"
        case jumpNotFirst = "jump-not-first"
        case iccNotEnforced = "icc-not-enforced"
        /// An IPv6 network with a way out while the host does not forward IPv6.
        case ipv6ForwardingOff = "ipv6-forwarding-off"
        /// Multi-host: etcd does not answer; the VXLAN device is missing; FDB/neighbour entries differ from etcd.
        case etcdUnreachable = "etcd-unreachable"
        case vxlanMissing = "vxlan-missing"
        case forwardingDrift = "fdb-drift"
        /// Multi-host: an endpoint here uses an address etcd does not hold for this host.
        case addressUnclaimed = "address-unclaimed"
        /// macvlan/ipvlan: the network's parent link is not there, or down.
        case parentMissing = "parent-missing"
        case parentDown = "parent-down"
        /// macvlan/ipvlan: the host shim is missing or differs from its record.
        case shimDrift = "shim-drift"
        /// macvlan/ipvlan: a joined endpoint's interface is back in the host's namespace.
        case childInHost = "child-in-host"
    }

    package var kind: Kind
    /// The interface, address or rule concerned.
    package var subject: String
    package var networkID: String?
    package var endpointID: String?
    /// What is wrong, in one sentence.
    package var problem: String
    /// What it does to containers.
    package var meaning: String
    /// The command that repairs it.
    package var repair: String
    /// Whether `swiftnet doctor --fix` repairs it.
    package var fixable: Bool

    package init(kind: Kind, subject: String, networkID: String? = nil, endpointID: String? = nil, problem: String,
                meaning: String, repair: String, fixable: Bool = true) {
        self.kind = kind
        self.subject = subject
        self.networkID = networkID
        self.endpointID = endpointID
        self.problem = problem
        self.meaning = meaning
        self.repair = repair
        self.fixable = fixable
    }
}
