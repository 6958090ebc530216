/// An endpoint of a multi-host network on another host: where this host's VXLAN device sends
/// its traffic.
package struct RemoteEndpointView: Sendable, Equatable {
    /// The logical network's name (the same on every host).
    package var network: String
    package var address: String
    package var mac: String
    package var host: String
    package var underlay: String

    package init(network: String, address: String, mac: String, host: String, underlay: String) {
        self.network = network
        self.address = address
        self.mac = mac
        self.host = host
        self.underlay = underlay
    }
}
