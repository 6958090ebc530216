import SwiftnetAddress
import SwiftnetEtcd
import SwiftnetMultiHost

/// `swiftnet serve --etcd-endpoints … --advertise-address …`: what a server needs to take part
/// in multi-host networks.
package struct MultiHostSettings: Sendable {
    package var endpoints: [EtcdEndpoint]
    /// This host's underlay address: VXLAN packets for its endpoints are sent here.
    package var advertiseAddress: IPAddress
    package var vxlanPort: UInt16
    /// This host's name in etcd (claims, lease, endpoint locations).
    package var node: String
    package var leaseTTLSeconds: Int64
    /// Seconds each etcd call may take, whichever endpoints it tries (under dockerd's 5 s).
    package var etcdTimeoutSeconds: Double

    package init(endpoints: [EtcdEndpoint], advertiseAddress: IPAddress, vxlanPort: UInt16 = 4789, node: String,
                 leaseTTLSeconds: Int64 = HostMembership.defaultTTLSeconds, etcdTimeoutSeconds: Double = 3) {
        self.endpoints = endpoints
        self.advertiseAddress = advertiseAddress
        self.vxlanPort = vxlanPort
        self.node = node
        self.leaseTTLSeconds = leaseTTLSeconds
        self.etcdTimeoutSeconds = etcdTimeoutSeconds
    }
}

extension MultiHostSettings {
    /// A host name etcd keys can carry.
    package static func validate(node: String) throws {
        try HostRecord.validate(host: node)
    }
}
