import SwiftnetAddress
import SwiftnetJSON

/// Where an endpoint of a logical network is: the value of `eps/<network>/<ip>`, on its host's
/// lease. Every other host programs its VXLAN FDB and neighbour table from these.
package struct EndpointLocation: Sendable, Hashable {
    package var network: String
    package var address: IPAddress
    package var mac: [UInt8]
    package var host: String
    /// The host's underlay address (the VXLAN tunnel endpoint).
    package var underlay: IPAddress

    package init(network: String, address: IPAddress, mac: [UInt8], host: String, underlay: IPAddress) {
        self.network = network
        self.address = address
        self.mac = mac
        self.host = host
        self.underlay = underlay
    }

    var json: String {
        JSONValue.object([
            "mac": .string(MACText.format(mac)), "host": .string(host), "underlay": .string(underlay.description),
        ]).serializedString
    }

    init(key: String, json: String, network: String, address: IPAddress) throws(MultiHostError) {
        let record = try RecordJSON(key: key, value: json)
        self.init(network: network, address: address, mac: try record.mac("mac"), host: try record.string("host"),
                  underlay: try record.address("underlay"))
    }
}
