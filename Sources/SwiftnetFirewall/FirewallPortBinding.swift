import SwiftnetAddress

/// One published port (`-p [hostIP:]hostPort:containerPort/proto`) of one container address.
/// A port published on both families arrives as two bindings, one per container address.
package struct FirewallPortBinding: Sendable, Hashable {
    /// The bridge of the container's network; must be one of the networks rendered with it.
    package var bridge: String
    /// `tcp`, `udp` or `sctp`, lowercase: anything else is refused, not passed to iptables.
    package var proto: String
    /// nil = every host address. `0.0.0.0` and `::` are read as nil too (that is what they mean to dockerd).
    package var hostIP: IPAddress?
    package var hostPort: Int
    /// Must lie in one of the network's subnets, and be of the same family as `hostIP`.
    package var containerIP: IPAddress
    package var containerPort: Int

    package init(bridge: String, proto: String, hostIP: IPAddress? = nil, hostPort: Int, containerIP: IPAddress, containerPort: Int) {
        self.bridge = bridge
        self.proto = proto
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerIP = containerIP
        self.containerPort = containerPort
    }
}
