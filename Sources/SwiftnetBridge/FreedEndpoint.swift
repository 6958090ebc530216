import SwiftnetNetworkModel

/// An endpoint freed because its container is gone, with the addresses the IPAM must take back.
package struct FreedEndpoint: Sendable, Equatable {
    package var endpoint: EndpointRecord
    package var reason: String

    package init(endpoint: EndpointRecord, reason: String) {
        self.endpoint = endpoint
        self.reason = reason
    }
}
