import SwiftnetAddress

/// Answers an earlier server process committed shortly before it stopped without a clean
/// shutdown, which it may never have sent: the only answers a repeated request may get again.
///
/// A request is a crash retry only if the process that committed the first answer died
/// before sending it, so the retry always reaches a new process. Within one process an
/// identical second request is a second holder (a container renamed and a new one under the
/// old name; a second network on the same subnet) and gets its own answer or a refusal.
/// Each candidate is given at most once, only within `window` seconds of its commit, and
/// only while it is still allocated as it was (the service also checks no endpoint holds it).
package struct RetryCandidates: Sendable {
    /// Seconds after the commit during which a repeat counts as a retry. dockerd retries a
    /// plugin call for about 15 s (backoff 1, 2, 4, 8 s); the rest is margin.
    package static let window = 60

    /// A named container's address (dynamic, or asked for by value: `--ip`), committed at `committedAt` (unix seconds).
    package struct Address: Sendable, Equatable {
        package var poolID: String
        package var name: String
        package var address: IPAddress
        package var committedAt: Int

        package init(poolID: String, name: String, address: IPAddress, committedAt: Int) {
            self.poolID = poolID
            self.name = name
            self.address = address
            self.committedAt = committedAt
        }
    }

    /// pool id → container name → the newest of its addresses.
    private var addresses: [String: [String: Address]] = [:]
    /// pool id → created at (unix seconds).
    private var pools: [String: Int] = [:]

    /// `addresses` in commit order: a name with several keeps its newest.
    package init(addresses: [Address] = [], pools: [(id: String, createdAt: Int)] = []) {
        for address in addresses { self.addresses[address.poolID, default: [:]][address.name] = address }
        for pool in pools { self.pools[pool.id] = pool.createdAt }
    }

    package var isEmpty: Bool { addresses.isEmpty && pools.isEmpty }

    package var count: Int { pools.count + addresses.values.reduce(0) { $0 + $1.count } }

    /// The address `name` got in `poolID`, if committed no more than `window` seconds before `now`.
    func address(poolID: String, name: String, now: Int) -> IPAddress? {
        guard let candidate = addresses[poolID]?[name], now - candidate.committedAt <= RetryCandidates.window else { return nil }
        return candidate.address
    }

    func hasPool(_ id: String, now: Int) -> Bool {
        guard let created = pools[id] else { return false }
        return now - created <= RetryCandidates.window
    }

    mutating func forget(poolID: String, name: String) {
        addresses[poolID]?[name] = nil
        if addresses[poolID]?.isEmpty == true { addresses[poolID] = nil }
    }

    /// The address was released: whoever asks next is not retrying for it.
    mutating func forget(poolID: String, address: IPAddress) {
        guard let names = addresses[poolID] else { return }
        for (name, candidate) in names where candidate.address == address { forget(poolID: poolID, name: name) }
    }

    mutating func forgetPool(_ id: String) {
        pools[id] = nil
        addresses[id] = nil
    }
}
