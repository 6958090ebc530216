import SwiftnetAddress

/// Pure: which free addresses to try, given the addresses held when etcd was read.
///
/// Low addresses first, as a single-host IPAM hands them out; but hosts allocating at the same
/// moment read the same holes, so each attempt picks at random among the lowest free ones rather
/// than the very lowest, which keeps concurrent claims mostly apart. Claims this host has in
/// flight are never picked twice, and widen the window (by 4 per claim in flight): a host busy
/// with many claims spreads them over more addresses, so other busy hosts rarely pick the same.
package struct AddressCandidates: Sendable {
    package var spread: Int

    package init(spread: Int = 32) {
        self.spread = max(1, spread)
    }

    /// Up to `count` distinct free addresses of `network`, none in `held`, in `inFlight` nor
    /// reserved.
    package func pick<G: RandomNumberGenerator>(_ count: Int, in network: LogicalNetwork, held: Set<IPAddress>,
                                                inFlight: Set<IPAddress> = [], using generator: inout G) -> [IPAddress] {
        var window: [IPAddress] = []
        let limit = max(count, spread + 4 * inFlight.count)
        var ordinal: UInt128 = 1
        let last = network.subnet.lastOrdinal
        while ordinal <= last && window.count < limit {
            let address = network.subnet.address(atOrdinal: ordinal)
            if !held.contains(address) && !inFlight.contains(address) && !network.isReserved(address) { window.append(address) }
            ordinal += 1
        }
        window.shuffle(using: &generator)
        return Array(window.prefix(count))
    }
}
