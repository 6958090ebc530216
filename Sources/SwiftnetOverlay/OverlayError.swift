import SwiftnetAddress

/// What the overlay mode refuses.
package enum OverlayError: Error, Sendable, CustomStringConvertible {
    case ipv4Only
    case noName
    case gatewayMismatch(network: String, given: IPAddress, logical: IPAddress)
    case alreadyHere(network: String, by: String)
    case noVNI(String)

    package var description: String {
        switch self {
        case .ipv4Only:
            return "multi-host networks are IPv4 only: leave out --ipv6 and IPv6 subnets"
        case .noName:
            return "a multi-host network needs a name: --ipam-driver swiftnet --ipam-opt swiftnet.network=NAME (or -o swiftnet.network=NAME)"
        case .gatewayMismatch(let network, let given, let logical):
            return "multi-host network \(network) has gateway \(logical) on every host; \(given) was given"
        case .alreadyHere(let network, let other):
            return "multi-host network \(network) is already on this host as network \(other.prefix(12))"
        case .noVNI(let id):
            return "network \(id.prefix(12)) has no VNI recorded"
        }
    }
}
