import SwiftnetAddress
import SwiftnetJSON

/// One address of a logical network held by one owner on one host: the value of
/// `addr/<network>/<ip>`. Not on any lease: a partitioned host's containers keep their
/// addresses; `gc --node` frees a dead host's on purpose.
package struct AddressClaim: Sendable, Equatable {
    package var network: String
    package var address: IPAddress
    package var host: String
    /// Who on that host: an endpoint id, or a role such as "gateway".
    package var owner: String
    /// Unique per claim, so a claim whose answer was lost (a transport failure after etcd
    /// committed it) is recognised as ours when retried.
    package var token: String
    /// etcd's revision of the key, for a release that must not delete a newer claim.
    package var modRevision: Int64

    package init(network: String, address: IPAddress, host: String, owner: String, token: String, modRevision: Int64 = 0) {
        self.network = network
        self.address = address
        self.host = host
        self.owner = owner
        self.token = token
        self.modRevision = modRevision
    }

    var json: String {
        JSONValue.object(["host": .string(host), "owner": .string(owner), "token": .string(token)]).serializedString
    }

    init(key: String, json: String, network: String, address: IPAddress, modRevision: Int64) throws(MultiHostError) {
        let record = try RecordJSON(key: key, value: json)
        self.init(network: network, address: address, host: try record.string("host"), owner: try record.string("owner"),
                  token: try record.string("token"), modRevision: modRevision)
    }
}
