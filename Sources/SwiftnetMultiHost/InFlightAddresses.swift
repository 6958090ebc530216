import Synchronization
import SwiftnetAddress

/// Addresses being claimed by this process, by network; see `AddressAllocator`.
final class InFlightAddresses: Sendable {
    private let busy = Mutex<[String: Set<IPAddress>]>([:])

    /// Picks with `choose` (given the addresses in flight) and marks the picks in flight, as
    /// one step.
    func take(_ network: String, _ choose: (Set<IPAddress>) -> [IPAddress]) -> [IPAddress] {
        busy.withLock { busy in
            let picked = choose(busy[network] ?? [])
            if !picked.isEmpty { busy[network, default: []].formUnion(picked) }
            return picked
        }
    }

    func finish(_ network: String, _ addresses: [IPAddress]) {
        guard !addresses.isEmpty else { return }
        busy.withLock { busy in
            busy[network]?.subtract(addresses)
            if busy[network]?.isEmpty == true { busy[network] = nil }
        }
    }

    func isEmpty(_ network: String) -> Bool {
        busy.withLock { $0[network]?.isEmpty ?? true }
    }
}
