import SwiftnetAddress

/// What Join returns for a container on a macvlan or ipvlan network.
package struct LANJoinAnswer: Sendable, Equatable {
    package var gatewayIPv4: IPAddress?
    package var gatewayIPv6: IPAddress?
    /// Routes through the container's interface with no next hop (the plugin API's RouteType 1,
    /// "connected"): the default routes of routed and gateway-less networks.
    package var connectedRoutes: [IPPrefix]
    /// Always true: with a gateway or default route of its own the container needs no
    /// `docker_gwbridge`, and dockerd must not make one.
    package var disableGatewayService: Bool

    package init(gatewayIPv4: IPAddress? = nil, gatewayIPv6: IPAddress? = nil, connectedRoutes: [IPPrefix] = [],
                 disableGatewayService: Bool = true) {
        self.gatewayIPv4 = gatewayIPv4
        self.gatewayIPv6 = gatewayIPv6
        self.connectedRoutes = connectedRoutes
        self.disableGatewayService = disableGatewayService
    }

    package static let defaultIPv4 = IPPrefix("0.0.0.0/0")!
    package static let defaultIPv6 = IPPrefix("::/0")!

    /// Per family the network has a subnet in: ipvlan l3/l3s get no gateway (the LAN's router
    /// cannot be reached at layer 2 through them) but a connected default route, as Docker's
    /// ipvlan driver gives; macvlan and ipvlan l2 get the network's gateway when it has one
    /// (`--gateway`), and otherwise a connected default route too — Docker 29 marks such
    /// containers as externally connected (ForceGw), which a remote driver cannot, and Docker
    /// ≥ 26 forwards external DNS only for a sandbox with a gateway or default route.
    /// An internal network gets neither.
    package static func decide(_ childKind: LANLinkKind, isInternal: Bool,
                               ipv4Subnet: IPPrefix?, gatewayIPv4: IPAddress?,
                               ipv6Subnet: IPPrefix?, gatewayIPv6: IPAddress?) -> LANJoinAnswer {
        var answer = LANJoinAnswer()
        guard !isInternal else { return answer }
        let routed: Bool
        if case .ipvlan(let mode, _) = childKind { routed = mode.isRouted } else { routed = false }
        if ipv4Subnet != nil {
            if !routed, let gatewayIPv4 { answer.gatewayIPv4 = gatewayIPv4 } else { answer.connectedRoutes.append(defaultIPv4) }
        }
        if ipv6Subnet != nil {
            if !routed, let gatewayIPv6 { answer.gatewayIPv6 = gatewayIPv6 } else { answer.connectedRoutes.append(defaultIPv6) }
        }
        return answer
    }
}
