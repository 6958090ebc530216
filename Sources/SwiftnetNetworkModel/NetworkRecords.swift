import SwiftnetAddress
import SwiftnetLANModel

/// Where a long-lived kernel object stands: recorded before it is made ("intent before
/// effect"), so that start-up can finish or undo whatever a crash interrupted.
package enum LifecycleState: String, Sendable, Codable {
    case creating
    case ready
    case deleting
}

/// One subnet of a network as dockerd's IPAM gave it (`IPv4Data`/`IPv6Data`).
package struct NetworkSubnet: Sendable, Equatable {
    package var pool: IPPrefix
    /// Plain address (dockerd sends it with the pool's prefix length); nil when no gateway.
    package var gateway: IPAddress?

    package init(pool: IPPrefix, gateway: IPAddress?) {
        self.pool = pool
        self.gateway = gateway
    }
}

package struct NetworkRecord: Sendable, Equatable {
    package var id: String
    /// The network's own link: its bridge (bridge mode), or the parent its children stack on
    /// (macvlan, ipvlan).
    package var bridge: String
    package var options: NetworkOptions
    package var subnets: [NetworkSubnet]
    package var state: LifecycleState
    /// macvlan/ipvlan: swiftnet made the parent (an 802.1q sub-interface that was missing, or
    /// a dummy for a network given no parent) and deletes it with the last network on it.
    package var ownsLink: Bool
    /// macvlan/ipvlan with `swiftnet.host_shim=true`: the host's interface on the network, a
    /// host address (/32, /128) from the pool; routes to the network's subnets of its family
    /// go through it.
    package var hostShim: InterfaceAddress?
    /// Where the network stands in the order networks were created: each new one gets a
    /// number above every network held (`DriverState.nextNetworkSequence`). The firewall keeps
    /// the networks' rules in this order, so a new network's rules are appended to our chains
    /// (`iptables-restore` then reads none of their rules) instead of inserted among them; the
    /// first network of a branch also inserts the two jumps to it (see `FirewallChains`).
    package var sequence: Int

    package init(id: String, bridge: String, options: NetworkOptions, subnets: [NetworkSubnet], state: LifecycleState,
                 ownsLink: Bool = false, hostShim: InterfaceAddress? = nil, sequence: Int = 0) {
        self.id = id
        self.bridge = bridge
        self.options = options
        self.subnets = subnets
        self.state = state
        self.ownsLink = ownsLink
        self.hostShim = hostShim
        self.sequence = sequence
    }

    /// The mode whose type makes and repairs this network's links (see `NetworkOptions.mode`).
    package var mode: DriverMode { options.mode }

    package func gateway(for address: IPAddress) -> IPAddress? {
        subnets.first { $0.pool.contains(address) }?.gateway
    }
}

package struct EndpointRecord: Sendable, Equatable {
    package var id: String
    package var networkID: String
    package var hostVeth: String
    package var containerVeth: String
    package var address: InterfaceAddress?
    package var addressIPv6: InterfaceAddress?
    package var mac: MACAddress
    /// True when dockerd chose the MAC (`--mac-address`); then it is not returned to it.
    package var macFromDocker: Bool
    /// `/proc/sys/kernel/random/boot_id` when the veth was made: an endpoint of an earlier boot is stale.
    package var bootID: String
    package var sandboxKey: String?
    /// When the last Join or Leave was committed (unix seconds; the state's `joined_at`); nil
    /// before either, or when a version that did not record them made it.
    package var joinedOrLeftAt: Int?
    /// When the endpoint was recorded (unix seconds); nil when unknown.
    package var createdAt: Int?
    /// Ports asked for at create/join, programmed by ProgramExternalConnectivity.
    package var requestedPorts: [PortBindingRequest]
    package var publishedPorts: [PublishedPort]
    package var state: LifecycleState

    package init(id: String, networkID: String, hostVeth: String, containerVeth: String, address: InterfaceAddress?,
                addressIPv6: InterfaceAddress?, mac: MACAddress, macFromDocker: Bool, bootID: String,
                sandboxKey: String? = nil, joinedOrLeftAt: Int? = nil, createdAt: Int? = nil,
                requestedPorts: [PortBindingRequest] = [], publishedPorts: [PublishedPort] = [], state: LifecycleState) {
        self.id = id
        self.networkID = networkID
        self.hostVeth = hostVeth
        self.containerVeth = containerVeth
        self.address = address
        self.addressIPv6 = addressIPv6
        self.mac = mac
        self.macFromDocker = macFromDocker
        self.bootID = bootID
        self.sandboxKey = sandboxKey
        self.joinedOrLeftAt = joinedOrLeftAt
        self.createdAt = createdAt
        self.requestedPorts = requestedPorts
        self.publishedPorts = publishedPorts
        self.state = state
    }
}

/// One change of the network driver's state.
package enum NetworkChange: Sendable, Equatable {
    case putNetwork(NetworkRecord)
    case deleteNetwork(id: String)
    case putEndpoint(EndpointRecord)
    case deleteEndpoint(id: String)

    /// Networks must survive a power cut; an endpoint dies with its container at reboot.
    package var isDurableAcrossPowerLoss: Bool {
        switch self {
        case .putNetwork, .deleteNetwork: return true
        case .putEndpoint, .deleteEndpoint: return false
        }
    }
}

/// Where the network driver keeps its records (the SQLite store is the implementation).
package protocol NetworkStore: Sendable {
    func loadNetworks() throws -> (networks: [NetworkRecord], endpoints: [EndpointRecord])
    func commit(_ change: NetworkChange) throws
    /// Several changes in one transaction (a batch of deleted endpoints).
    func commit(_ changes: [NetworkChange]) throws
}
