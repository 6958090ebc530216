import SwiftnetIPAM

/// One published port (`-p [hostIP:]hostPort:containerPort/proto`) of one container address.
/// A port published on both families arrives as two bindings, one per container address.
public struct FirewallPortBinding: Sendable, Hashable {
    /// The bridge of the container's network; must be one of the networks rendered with it.
    public var bridge: String
    /// `tcp`, `udp` or `sctp`, lowercase: anything else is refused, not passed to iptables.
    public var proto: String
    /// nil = every host address. `0.0.0.0` and `::` are read as nil too (that is what they mean to dockerd).
    public var hostIP: IPAddress?
    public var hostPort: Int
    /// Must lie in one of the network's subnets, and be of the same family as `hostIP`.
    public var containerIP: IPAddress
    public var containerPort: Int

    public init(bridge: String, proto: String, hostIP: IPAddress? = nil, hostPort: Int, containerIP: IPAddress, containerPort: Int) {
        self.bridge = bridge
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
    }
}
