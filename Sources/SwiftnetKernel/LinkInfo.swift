/// A network interface as the kernel reports it at one moment.
package struct LinkInfo: Sendable, Equatable {
    package var name: String
    package var index: Int32
    /// The rtnetlink kind ("bridge", "veth", …); nil for physical devices and loopback.
    package var kind: String?
    package var mtu: Int
    /// The hardware address as the kernel holds it: 6 bytes for Ethernet-like links, other
    /// lengths for tunnels, empty when the link has none.
    package var mac: [UInt8]
    /// Administratively up (IFF_UP); says nothing about carrier.
    package var isUp: Bool
    /// Index of the bridge (or bond) this link is enslaved to.
    package var masterIndex: Int32?
    /// The link group (IFLA_GROUP); 0 is the default group.
    package var group: UInt32
    /// The link's alias (IFLA_IFALIAS, `ip link set NAME alias TEXT`); nil when it has none.
    /// swiftnet writes the full endpoint id on an endpoint's host veth.
    package var alias: String?

    package init(name: String, index: Int32, kind: String?, mtu: Int, mac: [UInt8], isUp: Bool, masterIndex: Int32?,
                group: UInt32 = 0, alias: String? = nil) {
        self.group = group
        self.alias = alias
        self.name = name
        self.index = index
        self.kind = kind
        self.mtu = mtu
        self.mac = mac
        self.isUp = isUp
        self.masterIndex = masterIndex
    }
}
