import SwiftnetAddress

/// One swiftnet bridge network as the firewall sees it: only what changes rules. The server
/// builds these from its state; the firewall never reads the state itself, so the rules stay
/// a pure function of this value.
package struct FirewallNetwork: Sendable, Hashable {
    /// The bridge device, e.g. `swn-0123456789`; checked by `FirewallRules.checkBridge` before
    /// it goes into any rule.
    package var bridge: String
    /// The network's pools, IPv4 and IPv6 together; each rendering uses those of its family.
    package var subnets: [IPPrefix]
    /// `--internal`: nothing leaves or enters the bridge, only bridge-local traffic flows.
    package var isInternal: Bool
    /// `com.docker.network.bridge.enable_icc`: containers of the network may talk to each other.
    package var interContainer: Bool
    /// `com.docker.network.bridge.enable_ip_masquerade`; ignored when internal (nothing leaves).
    package var masquerade: Bool
    /// The network's place in the order of the rules, then its bridge's name (see
    /// `NetworkRecord.sequence`): a network created later goes after those held.
    package var sequence: Int

    package init(bridge: String, subnets: [IPPrefix], isInternal: Bool = false, interContainer: Bool = true, masquerade: Bool = true,
                 sequence: Int = 0) {
        self.bridge = bridge
        self.subnets = subnets
        self.isInternal = isInternal
        self.interContainer = interContainer
        self.masquerade = masquerade
        self.sequence = sequence
    }
}
