import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetJSON

/// The report as `POST /Swiftnet.GC` answers it, and as the CLI reads it back.
extension GarbageReport {
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
