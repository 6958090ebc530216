import SwiftnetAddress
import SwiftnetJSON

/// A live host: the value of `hosts/<name>`, on the host's lease, so it vanishes when the host
/// stops renewing.
package struct HostRecord: Sendable, Equatable {
    package var name: String
    /// The underlay address other hosts send VXLAN packets to.
    package var underlay: IPAddress

    package init(name: String, underlay: IPAddress) {
        self.name = name
        self.underlay = underlay
    }

    /// Host names are path components in etcd: letters, digits, `_`, `.`, `-`, 1 to 64.
    package static func validate(host: String) throws(MultiHostError) {
        do {
            try LogicalNetwork.validate(name: host)
        } catch {
            throw .invalidHost(host, reason: "only letters, digits, '_', '.' and '-', 1 to 64 of them")
        }
    }

    var json: String {
        JSONValue.object(["name": .string(name), "underlay": .string(underlay.description)]).serializedString
    }

    init(key: String, json: String) throws(MultiHostError) {
        let record = try RecordJSON(key: key, value: json)
        self.init(name: try record.string("name"), underlay: try record.address("underlay"))
    }
}
