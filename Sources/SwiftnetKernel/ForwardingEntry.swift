import SwiftnetAddress

/// A permanent FDB entry on a VXLAN device (`bridge fdb … self permanent`): frames to `mac`
/// are sent to the remote tunnel endpoint `destination`.
package struct ForwardingEntry: Sendable, Hashable, CustomStringConvertible {
    package var mac: [UInt8]
    package var destination: IPAddress

    package init(mac: [UInt8], destination: IPAddress) {
        self.mac = mac
        self.destination = destination
    }

    package var description: String { "\(KernelError.hex(mac)) dst \(destination)" }
}

/// A permanent neighbour entry (`ip neigh … nud permanent`): `address` is at `mac`. On a VXLAN
/// device with proxy on, the device answers ARP requests for `address` from it.
package struct NeighbourEntry: Sendable, Hashable, CustomStringConvertible {
    package var address: IPAddress
    package var mac: [UInt8]

    package init(address: IPAddress, mac: [UInt8]) {
        self.address = address
        self.mac = mac
    }

    package var description: String { "\(address) lladdr \(KernelError.hex(mac))" }
}
