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
    /// The container's name (Docker 29 sends it in RequestAddress), for DNS across hosts; empty
    /// when unknown.
    package var name: String

    package init(network: String, address: IPAddress, mac: [UInt8], host: String, underlay: IPAddress, name: String = "") {
        self.network = network
        self.address = address
        self.mac = mac
        self.host = host
        self.underlay = underlay
        self.name = name
    }

    var json: String {
        var object: JSONObject = [
            "mac": .string(MACText.format(mac)), "host": .string(host), "underlay": .string(underlay.description),
        ]
        if !name.isEmpty { object["name"] = .string(name) }
        return JSONValue.object(object).serializedString
    }

    init(key: String, json: String, network: String, address: IPAddress) throws(MultiHostError) {
        let record = try RecordJSON(key: key, value: json)
        var name = ""
        if case .string(let text)? = record.object["name"] { name = text }
        self.init(network: network, address: address, mac: try record.mac("mac"), host: try record.string("host"),
                  underlay: try record.address("underlay"), name: name)
    }
}
