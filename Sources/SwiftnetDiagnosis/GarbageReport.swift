import SwiftnetAddress

/// What `swiftnet gc` freed (or, with --dry-run, would free): endpoints whose container is
/// gone, with the addresses that went back to their pools.
package struct GarbageReport: Sendable, Equatable {
    package struct Freed: Sendable, Equatable {
        package var endpointID: String
        package var networkID: String
        package var hostVeth: String
        package var addresses: [String]
        package var reason: String

        package init(endpointID: String, networkID: String, hostVeth: String, addresses: [String], reason: String) {
            self.endpointID = endpointID
            self.networkID = networkID
            self.hostVeth = hostVeth
            self.addresses = addresses
            self.reason = reason
        }
    }

    package var dryRun: Bool
    package var freed: [Freed]
    /// Addresses freed on their own: held by no endpoint.
    package var addresses: [LeakedAddress]
    /// How old an address held by no endpoint must be to be freed.
    package var minimumAge: Int
    /// What could not be freed, and why.
    package var errors: [String]

    package init(dryRun: Bool, freed: [Freed], addresses: [LeakedAddress] = [], minimumAge: Int = 60, errors: [String] = []) {
        self.dryRun = dryRun
        self.freed = freed
        self.addresses = addresses
        self.minimumAge = minimumAge
        self.errors = errors
    }
}
