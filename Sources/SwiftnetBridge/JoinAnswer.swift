import SwiftnetAddress

/// What Join tells dockerd about an endpoint: the interface to move into the container, and
/// the container's way out (gateways, or routes through the interface itself).
package struct JoinAnswer: Sendable, Equatable {
    package var sourceName: String
    package var destinationPrefix: String
    package var gateway: IPAddress?
    package var gatewayIPv6: IPAddress?
    /// Routes through the container's interface with no next hop (the plugin API's RouteType 1,
    /// "connected"), e.g. the default routes of a gateway-less network.
    package var connectedRoutes: [IPPrefix]
    /// True when the container has its own way out (or none is wanted) and dockerd must not
    /// give it `docker_gwbridge`.
    package var disableGatewayService: Bool

    package init(sourceName: String, destinationPrefix: String, gateway: IPAddress?, gatewayIPv6: IPAddress?,
                 connectedRoutes: [IPPrefix] = [], disableGatewayService: Bool = false) {
        self.sourceName = sourceName
        self.destinationPrefix = destinationPrefix
        self.gateway = gateway
        self.gatewayIPv6 = gatewayIPv6
        self.connectedRoutes = connectedRoutes
        self.disableGatewayService = disableGatewayService
    }
}
