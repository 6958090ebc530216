import SwiftnetAddress

/// Pure: what a host's VXLAN device must gain and lose so that its permanent FDB and neighbour
/// entries are exactly those of the remote endpoints etcd lists (a start-up resync, and the
/// doctor's "FDB drift"). Entries are compared whole: a MAC pointing at the wrong host is one
/// to delete and one to add.
package struct DataplaneDrift: Sendable, Equatable {
    /// (MAC, remote underlay address): one FDB entry.
    package struct Forwarding: Sendable, Hashable {
        package var mac: [UInt8]
        package var destination: IPAddress
        package init(mac: [UInt8], destination: IPAddress) {
            self.mac = mac
            self.destination = destination
        }
    }

    /// (IP, MAC): one neighbour entry.
    package struct Neighbour: Sendable, Hashable {
        package var address: IPAddress
        package var mac: [UInt8]
        package init(address: IPAddress, mac: [UInt8]) {
            self.address = address
            self.mac = mac
        }
    }

    package var missingForwarding: [Forwarding]
    package var staleForwarding: [Forwarding]
    package var missingNeighbours: [Neighbour]
    package var staleNeighbours: [Neighbour]

    package var isEmpty: Bool {
        missingForwarding.isEmpty && staleForwarding.isEmpty && missingNeighbours.isEmpty && staleNeighbours.isEmpty
    }

    /// The drift of one network's device: `desired` are the network's remote endpoints.
    package init(desired: [EndpointLocation], forwarding: [Forwarding], neighbours: [Neighbour]) {
        let wantedForwarding = Set(desired.map { Forwarding(mac: $0.mac, destination: $0.underlay) })
        let wantedNeighbours = Set(desired.map { Neighbour(address: $0.address, mac: $0.mac) })
        let haveForwarding = Set(forwarding)
        let haveNeighbours = Set(neighbours)
        let byMAC: (Forwarding, Forwarding) -> Bool = { ($0.mac.lexicographicallyPrecedes($1.mac)) }
        missingForwarding = wantedForwarding.subtracting(haveForwarding).sorted(by: byMAC)
        staleForwarding = haveForwarding.subtracting(wantedForwarding).sorted(by: byMAC)
        missingNeighbours = wantedNeighbours.subtracting(haveNeighbours).sorted { $0.address < $1.address }
        staleNeighbours = haveNeighbours.subtracting(wantedNeighbours).sorted { $0.address < $1.address }
    }
}
