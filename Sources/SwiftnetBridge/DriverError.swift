/// What the driver refuses; every case says what the user can do.
package enum DriverError: Error, Sendable, CustomStringConvertible {
    case unknownNetwork(String)
    case unknownEndpoint(String)
    case networkExists(String)
    case bridgeNameInUse(String, by: String)
    case subnetInUse(String, clash: String, network: String, bridge: String)
    case subnetOnForeignBridge(String, held: String, bridge: String)
    case addressNotInNetwork(String, network: String, subnets: String)
    case addressInUse(String, network: String, by: String)
    /// The network's own: its gateway, the host shim's, a subnet's network or broadcast address.
    case addressReserved(String, network: String, as: String)
    case endpointExists(String)
    case vethNameInUse(String, endpointID: String, by: String)
    case macInUse(String, network: String)
    case noFreeHostPort(String)
    case hostPortInUse(String)
    case localScopeOnly(String)
    /// The network's bridge has every port it can hold (`limit`: the kernel's, 1,023).
    case bridgeFull(network: String, bridge: String, limit: Int)
    /// `enable_icc=false` cannot be enforced: bridged traffic does not pass iptables.
    case bridgeNetfilterUnavailable(String)
    /// A mode this server was started without what it needs (overlay without etcd).
    case modeUnavailable(String, reason: String)

    package var description: String {
        switch self {
        case .unknownNetwork(let id):
            return "network \(id.prefix(12)) is not a swiftnet network (was it created with -d swiftnet?)"
        case .unknownEndpoint(let id):
            return "endpoint \(id.prefix(12)) is not known to swiftnet"
        case .networkExists(let id):
            return "network \(id.prefix(12)) already exists with different settings"
        case .bridgeNameInUse(let name, let owner):
            return "bridge name \(name) is in use by \(owner); choose another with -o com.docker.network.bridge.name=NAME"
        case .subnetInUse(let subnet, let clash, let network, let bridge):
            return "subnet \(subnet) overlaps \(clash) of swiftnet network \(network.prefix(12)) (\(bridge)); choose another --subnet"
        case .subnetOnForeignBridge(let subnet, let held, let bridge):
            return "subnet \(subnet) overlaps \(held) of bridge \(bridge), which is not this swiftnet server's (a Docker network's, or another's); choose another --subnet"
        case .addressNotInNetwork(let what, let network, let subnets):
            return "\(what) is not in a subnet of network \(network.prefix(12)) (\(subnets.isEmpty ? "none" : subnets))"
        case .addressInUse(let address, let network, let other):
            return "address \(address) is held by endpoint \(other.prefix(12)) of network \(network.prefix(12))"
        case .addressReserved(let address, let network, let role):
            return "address \(address) cannot be a container's on network \(network.prefix(12)): it is \(role)"
        case .endpointExists(let id):
            return "endpoint \(id.prefix(12)) already exists with different addresses"
        case .macInUse(let mac, let network):
            return "MAC address \(mac) is already used by another endpoint of network \(network.prefix(12)); choose another --mac-address"
        case .vethNameInUse(let name, let id, let other):
            return "endpoint \(id) cannot have veth \(name): endpoint \(other) has it (the ids share their first 11 hex digits, "
                + "which name the veths); nothing was changed, try again (dockerd gives the new endpoint another id)"
        case .noFreeHostPort(let what):
            return "no free host port for \(what)"
        case .hostPortInUse(let what):
            return "host port already in use: \(what)"
        case .bridgeFull(let network, let bridge, let limit):
            return "network \(network.prefix(12)) is full: its bridge \(bridge) has all \(limit) ports a Linux bridge can hold "
                + "in use; connect the container to another network"
        case .localScopeOnly(let call):
            return "\(call) is for swarm (global scope) drivers; swiftnet is a local-scope driver"
        case .bridgeNetfilterUnavailable(let why):
            return "com.docker.network.bridge.enable_icc=false cannot be enforced: \(why); load br_netfilter (modprobe br_netfilter) or leave enable_icc at true"
        case .modeUnavailable(let mode, let reason):
            return "swiftnet.mode=\(mode) is not available: \(reason)"
        }
    }
}

extension DriverError {
    /// The kernel cannot make a link type the network needs (its text names the kernel option
    /// and module).
    static func kernelLacks(_ reason: String) -> LANKernelError { LANKernelError(reason: reason) }
}

/// A macvlan/ipvlan network refused because this kernel lacks a link type it needs.
package struct LANKernelError: Error, Sendable, CustomStringConvertible {
    package var reason: String
    package var description: String { "this kernel cannot make the network's links: \(reason)" }
}
