import SwiftnetIPAM
import SwiftnetJSON

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

    package var json: JSONValue {
        .object([
            "dryRun": .bool(dryRun),
            "freed": .array(freed.map { item in
                .object(["endpoint": .string(item.endpointID), "network": .string(item.networkID),
                         "hostVeth": .string(item.hostVeth), "addresses": .array(item.addresses.map { .string($0) }),
                         "reason": .string(item.reason)])
            }),
            "addresses": .array(addresses.map { item in
                .object(["pool": .string(item.poolID), "address": .string(item.address.description), "network": .string(item.networkID)])
            }),
            "minimumAgeSeconds": .integer(minimumAge),
            "errors": .array(errors.map { .string($0) }),
        ])
    }

    package init(json: JSONValue) throws(OperatorError) {
        let object = try json.operatorObject("the gc report")
        var freed: [Freed] = []
        for item in try object.objects("freed") {
            freed.append(Freed(endpointID: try item.required("endpoint"), networkID: try item.required("network"),
                               hostVeth: try item.required("hostVeth"), addresses: try item.strings("addresses"),
                               reason: try item.required("reason")))
        }
        var addresses: [LeakedAddress] = []
        for item in try object.objects("addresses") {
            let text = try item.required("address")
            guard let address = IPAddress(text) else { throw .malformed("'address' \(text) is not an IP address") }
            addresses.append(LeakedAddress(poolID: try item.required("pool"), address: address, networkID: try item.required("network")))
        }
        self.init(dryRun: try object.flag("dryRun"), freed: freed, addresses: addresses,
                  minimumAge: try object.integer("minimumAgeSeconds"), errors: object["errors"] == nil ? [] : try object.strings("errors"))
    }
}
