import SwiftnetJSON

/// What `swiftnet gc` freed (or, with --dry-run, would free): endpoints whose container is
/// gone, with the addresses that went back to their pools.
public struct GarbageReport: Sendable, Equatable {
    public struct Freed: Sendable, Equatable {
        public var endpointID: String
        public var networkID: String
        public var hostVeth: String
        public var addresses: [String]
        public var reason: String

        public init(endpointID: String, networkID: String, hostVeth: String, addresses: [String], reason: String) {
            self.endpointID = endpointID
            self.networkID = networkID
            self.hostVeth = hostVeth
            self.addresses = addresses
            self.reason = reason
        }
    }

    public var dryRun: Bool
    public var freed: [Freed]

    public init(dryRun: Bool, freed: [Freed]) {
        self.dryRun = dryRun
        self.freed = freed
    }

    public var json: JSONValue {
        .object([
            "dryRun": .bool(dryRun),
            "freed": .array(freed.map { item in
                .object(["endpoint": .string(item.endpointID), "network": .string(item.networkID),
                         "hostVeth": .string(item.hostVeth), "addresses": .array(item.addresses.map { .string($0) }),
                         "reason": .string(item.reason)])
            }),
        ])
    }

    public init(json: JSONValue) throws(OperatorError) {
        let object = try json.operatorObject("the gc report")
        var freed: [Freed] = []
        for item in try object.objects("freed") {
            freed.append(Freed(endpointID: try item.required("endpoint"), networkID: try item.required("network"),
                               hostVeth: try item.required("hostVeth"), addresses: try item.strings("addresses"),
                               reason: try item.required("reason")))
        }
        self.init(dryRun: try object.flag("dryRun"), freed: freed)
    }
}
