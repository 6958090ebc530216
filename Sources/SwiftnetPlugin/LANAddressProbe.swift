import Synchronization
import SwiftnetAddress
import SwiftnetBridge
import SwiftnetIPAM
import SwiftnetKernel
import SwiftnetNetworkModel

/// The IPAM's `AddressProbe` (pools made with `--ipam-opt swiftnet.probe=arp`) answered by an
/// ARP/NDP probe (`NeighbourProbe`, 3 × 100 ms) on the pool's link: its `swiftnet.scope` when
/// it has one, else the parent of the macvlan/ipvlan network whose subnet the pool is.
///
/// The IPAM is made before the driver (the driver's records name the parents), so the driver
/// is given to it afterwards; until then, and for a pool no link is known for, the probe
/// fails and the request with it (an address nobody checked is not handed out).
package final class LANAddressProbe: AddressProbe {
    private let links: LinkManager
    private let probe: NeighbourProbe
    private let driver = Mutex<SwiftnetDriver?>(nil)

    package init(links: LinkManager, probe: NeighbourProbe = NeighbourProbe()) {
        self.links = links
        self.probe = probe
    }

    func attach(_ driver: SwiftnetDriver) {
        self.driver.withLock { $0 = driver }
    }

    package func isInUse(_ address: IPAddress, pool: PoolRecord) throws -> Bool {
        try probe.answer(for: address, on: try link(for: pool), links: links) != nil
    }

    /// The link to probe on, or an error saying how to name one.
    func link(for pool: PoolRecord) throws -> String {
        if let scope = pool.options[IPAMOptions.scope], !scope.isEmpty { return scope }
        let networks = driver.withLock { $0 }?.networks ?? []
        let parents = Set(networks.filter { $0.mode != .bridge && $0.subnets.contains { $0.pool == pool.prefix } }.map(\.bridge))
        guard parents.count == 1, let parent = parents.first else {
            throw LANAddressProbeError.noLink(pool: pool.prefix, candidates: parents.sorted())
        }
        return parent
    }
}

package enum LANAddressProbeError: Error, CustomStringConvertible {
    case noLink(pool: IPPrefix, candidates: [String])

    package var description: String {
        switch self {
        case .noLink(let pool, let candidates) where candidates.isEmpty:
            return "no link to probe for pool \(pool): no swiftnet macvlan/ipvlan network has this subnet yet "
                + "(dockerd asks for the gateway before it creates the network); give the pool --ipam-opt swiftnet.scope=PARENT"
        case .noLink(let pool, let candidates):
            return "pool \(pool) is the subnet of networks on \(candidates.joined(separator: ", ")): "
                + "give it --ipam-opt swiftnet.scope=PARENT to say which link to probe"
        }
    }
}
