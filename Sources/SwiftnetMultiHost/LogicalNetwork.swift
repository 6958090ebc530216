import SwiftnetAddress
import SwiftnetJSON

/// A network that spans hosts, known by its name on every host (dockerd's network ids differ
/// per host). Created once in etcd by the first host that asks; never changed after.
package struct LogicalNetwork: Sendable, Equatable {
    package var name: String
    package var subnet: IPPrefix
    /// The same on every host's bridge: a distributed gateway.
    package var gateway: IPAddress
    /// The VXLAN network identifier, in `LogicalNetwork.vniRange`.
    package var vni: UInt32
    package var createdBy: String

    /// Docker's overlay driver takes VNIs from 4096 up (lower ones are left to hand-made VXLANs).
    package static let vniRange: ClosedRange<UInt32> = 4096...(1 << 24) - 1

    package init(name: String, subnet: IPPrefix, gateway: IPAddress, vni: UInt32, createdBy: String) {
        self.name = name
        self.subnet = subnet
        self.gateway = gateway
        self.vni = vni
        self.createdBy = createdBy
    }

    /// Letters, digits, `_`, `.`, `-`; 1 to 64 of them (it is a path component in etcd).
    package static func validate(name: String) throws(MultiHostError) {
        guard !name.isEmpty, name.utf8.count <= 64 else { throw .invalidName(name, reason: "must be 1 to 64 characters") }
        guard name != ".", name != "..",
              name.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || $0 == 95 || $0 == 46 || $0 == 45 })
        else { throw .invalidName(name, reason: "only letters, digits, '_', '.' and '-'") }
    }

    /// Addresses no endpoint may hold: the network address, the IPv4 broadcast, the gateway.
    package func isReserved(_ address: IPAddress) -> Bool {
        address == subnet.network || address == gateway || (subnet.family == .v4 && address == subnet.last)
    }

    var json: String {
        JSONValue.object([
            "name": .string(name), "subnet": .string(subnet.description), "gateway": .string(gateway.description),
            "vni": .number(Double(vni)), "createdBy": .string(createdBy),
        ]).serializedString
    }

    init(key: String, json: String) throws(MultiHostError) {
        let record = try RecordJSON(key: key, value: json)
        let vni = try record.int("vni")
        guard vni >= 0, LogicalNetwork.vniRange.contains(UInt32(clamping: vni)) else {
            throw .malformedRecord(key: key, reason: "vni \(vni) out of range")
        }
        self.init(name: try record.string("name"), subnet: try record.prefix("subnet"), gateway: try record.address("gateway"),
                  vni: UInt32(vni), createdBy: try record.string("createdBy"))
    }
}
