import Foundation
import Logging
import Synchronization
import SwiftnetAddress
import SwiftnetCrashPoints
import SwiftnetMultiHost
import SwiftnetStore

/// The IPAM's side of multi-host networks. A RequestPool with `swiftnet.network=NAME` asks
/// etcd for the logical network and answers a pool id starting `swiftnet-mh/`; addresses of
/// such pools are claimed and released in etcd (create-if-absent, see `AddressAllocator`).
/// Each claim is recorded in the state before etcd sees it and completed after; a release
/// deletes the record before etcd sees it. `settle` (at start-up, and after any call etcd
/// failed) then frees the claims in etcd that no completed record holds, and claims again the
/// addresses a container here still uses when etcd lost them.
package final class MultiHostIPAM: Sendable {
    package static let poolPrefix = "swiftnet-mh/"
    package static let nameOption = "swiftnet.network"
    static let addressTypeOption = "RequestAddressType"
    static let gatewayType = "com.docker.network.gateway"
    package static let endpointNameOption = "com.docker.network.endpoint.name"

    let multiHost: MultiHost
    let store: StateStore
    let logger: Logger
    /// Pools by id, as recorded.
    private let pools: Mutex<[String: MultiHostPoolRecord]>
    /// Claims made by this run carry it in their owner, with a sequence number: `settle`
    /// tells this run's calls still in flight from those that ended.
    let runID: String
    private let calls = Mutex(ClaimCalls())
    /// Unix seconds from which the periodic `settleIfNeeded` has work; `Int.max`: none. 0 at
    /// start (an earlier run may have left claims unanswered) and after a call etcd failed;
    /// later when a settle is only waiting. Lowered with `min`, so a failure during a settle
    /// is never pushed back by that settle's own wait.
    private let settleDue = Atomic<Int>(0)
    /// Held by `settle`: one at a time.
    private let settling = Mutex(())
    /// How often a settle that is only waiting (for a late claim, or the end of a conflict) looks again.
    static let waitingSeconds = 30

    /// A call etcd failed, or that left a claim unanswered: settle at the next tick.
    private func markUnsettled() {
        settleDue.min(0, ordering: .relaxed)
    }

    /// The owners of this run's claims: the next sequence number, and the owners whose
    /// RequestAddress has not returned yet.
    private struct ClaimCalls {
        var next: UInt64 = 0
        var inFlight: Set<String> = []
    }

    package init(multiHost: MultiHost, store: StateStore, logger: Logger) throws {
        self.multiHost = multiHost
        self.store = store
        self.logger = logger
        pools = Mutex(Dictionary(try store.multiHostPools().map { ($0.poolID, $0) }, uniquingKeysWith: { _, last in last }))
        var generator = SystemRandomNumberGenerator()
        runID = String(generator.next() as UInt64, radix: 36)
        for record in try store.multiHostClaims() {
            if let address = record.address, let name = record.name { multiHost.setContainerName(name, network: record.network, address: address) }
        }
    }

    package static func isMultiHost(poolID: String) -> Bool { poolID.hasPrefix(poolPrefix) }

    /// The logical network a pool of `prefix` belongs to, if this host's IPAM handed it out.
    package func networkName(forSubnet prefix: IPPrefix) -> String? {
        pools.withLock { pools in pools.values.first { $0.subnet == prefix }?.network }
    }

    // MARK: pools

    /// The logical network `name` (created if new); `subnet` must match an existing one.
    package func requestPool(name: String, subnet text: String, subPool: String, v6: Bool) throws -> (poolID: String, pool: IPPrefix) {
        guard !v6 else { throw OverlayError.ipv4Only }
        guard subPool.isEmpty else {
            throw MultiHostIPAMError.invalid("multi-host network \(name) takes no --ip-range (\(subPool)): every host allocates from the whole subnet")
        }
        var requested: IPPrefix?
        if !text.isEmpty {
            guard let prefix = IPPrefix(text) else { throw MultiHostIPAMError.invalid("pool \(text) is not a CIDR prefix") }
            requested = prefix
        }
        let logical = try multiHost.registry.ensure(name: name, subnet: requested, host: multiHost.settings.node)
        // One docker network per logical network on a host: a second pool of the name would be
        // released (with the first one's record) when dockerd rolls the second network back.
        if pools.withLock({ $0[Self.poolPrefix + name] }) != nil { throw MultiHostIPAMError.alreadyHeld(name) }
        try multiHost.allocator.reserveGateway(of: logical)
        let record = MultiHostPoolRecord(poolID: Self.poolPrefix + name, network: logical.name, subnet: logical.subnet,
                                         gateway: logical.gateway, vni: logical.vni)
        try store.putMultiHostPool(record)
        pools.withLock { $0[record.poolID] = record }
        return (record.poolID, logical.subnet)
    }

    /// The logical network stays in etcd (other hosts use it); this host forgets the pool.
    package func releasePool(_ poolID: String) throws -> Bool {
        guard pools.withLock({ $0[poolID] }) != nil else { return false }
        try store.deleteMultiHostPool(poolID)
        pools.withLock { _ = $0.removeValue(forKey: poolID) }
        return true
    }

    // MARK: addresses

    /// The gateway (the same on every host), or an address claimed in etcd: `preferred` exactly,
    /// or any free one. Returns CIDR text.
    package func requestAddress(poolID: String, address text: String, options: [String: String]) throws -> String {
        let pool = try self.pool(poolID)
        let length = pool.subnet.length
        var preferred: IPAddress?
        if !text.isEmpty {
            guard let address = IPAddress(text) ?? IPAddress(text.split(separator: "/").first.map(String.init) ?? "") else {
                throw MultiHostIPAMError.invalid("address \(text) is not an IP address")
            }
            if address == pool.gateway { return "\(pool.gateway)/\(length)" }
            preferred = address
        }
        if options[Self.addressTypeOption] == Self.gatewayType {
            // The gateway is the same on every host, fixed when the first one created the network.
            if let preferred {
                throw MultiHostIPAMError.invalid("multi-host network \(pool.network) has gateway \(pool.gateway) on every host, not \(preferred)")
            }
            return "\(pool.gateway)/\(length)"
        }
        // Issued and marked in flight under one lock: `settle` never sees an owner of this run
        // below its horizon that has not been marked yet.
        let owner = calls.withLock { calls in
            calls.next += 1
            let owner = "\(multiHost.settings.node):\(runID):\(calls.next)"
            calls.inFlight.insert(owner)
            return owner
        }
        // Set once the owner is out of flight: a settle running meanwhile skips it, and must
        // not clear the flag before it can see it.
        var needsSettling = false
        defer {
            _ = calls.withLock { $0.inFlight.remove(owner) }
            if needsSettling { markUnsettled() }
        }
        let name = options[Self.endpointNameOption]
        try store.beginMultiHostClaim(owner: owner, network: pool.network, name: name, byValue: preferred != nil,
                                      at: Int(Date().timeIntervalSince1970))
        let claim: AddressClaim
        do {
            claim = try multiHost.allocator.allocate(in: pool.logical, owner: owner, preferred: preferred)
        } catch {
            // etcd's own failure may have committed the claim all the same (a request etcd
            // reads after the client gave up): the record stays for `settle`. A refusal claimed nothing.
            if case .etcd = error { needsSettling = true } else { try? store.deleteMultiHostClaims(owners: [owner]) }
            throw error
        }
        CrashPoint.reach("multihost.claim.claimed")
        do {
            try store.completeMultiHostClaim(owner: owner, address: claim.address)
        } catch {
            needsSettling = true  // claimed in etcd, unanswered here: settle frees it
            throw error
        }
        if let name { multiHost.setContainerName(name, network: pool.network, address: claim.address) }
        return "\(claim.address)/\(length)"
    }

    /// Frees the address in etcd if this host holds it; the gateway and addresses this host
    /// does not hold are left (`.notHeld`). The records go first: when etcd then fails, the
    /// release is still done as far as dockerd is concerned, and `settle` frees the claim in
    /// etcd once it answers (dockerd never asks twice).
    package func releaseAddress(poolID: String, address text: String) throws -> Release {
        let pool = try self.pool(poolID)
        guard let address = IPAddress(text) ?? IPAddress(text.split(separator: "/").first.map(String.init) ?? "") else {
            throw MultiHostIPAMError.invalid("address \(text) is not an IP address")
        }
        if address == pool.gateway { return .notHeld }
        let held = try store.multiHostClaims(network: pool.network, address: address)
        guard !held.isEmpty else { return .notHeld }
        try store.deleteMultiHostClaims(owners: held.map(\.owner))
        multiHost.setContainerName(nil, network: pool.network, address: address)
        do {
            for claim in held { try releaseIfHeld(address, in: pool.network, owner: claim.owner) }
        } catch {
            // The records are gone: whatever failed, `settle` frees what etcd still holds.
            markUnsettled()
            guard case .etcd = error else { throw error }
            return .pending(error)
        }
        return .released
    }

    package enum Release: Sendable, Equatable {
        case released
        /// This host held no claim of the address.
        case notHeld
        /// Released here; etcd failed (the error), so `settle` frees the claim there later.
        case pending(MultiHostError)
    }

    /// This host's answered claims made before `cutoff` (seconds since 1970), by pool id: the
    /// candidates for leaks (an answer lost when the server died after recording it). Claims
    /// asked for by value without a name are never candidates: an `--aux-address` (or a
    /// Docker <= 28 `--ip`, which looks the same) is held by no endpoint.
    package func answeredClaims(before cutoff: Int) throws -> [(poolID: String, network: String, address: IPAddress)] {
        let byNetwork = pools.withLock { pools in
            Dictionary(pools.values.map { ($0.network, $0.poolID) }, uniquingKeysWith: { first, _ in first })
        }
        return try store.multiHostClaims().compactMap { record in
            guard record.createdAt < cutoff, !record.byValue || record.name != nil,
                  let address = record.address, let poolID = byNetwork[record.network] else { return nil }
            return (poolID, record.network, address)
        }
    }

    /// Releases a leaked address if the claims of it this host recorded are all older than
    /// `cutoff` (a newer one is a fresh allocation on its way to an endpoint).
    package func releaseLeaked(poolID: String, address: IPAddress, allocatedBefore cutoff: Int) throws -> Bool {
        let pool = try self.pool(poolID)
        let held = try store.multiHostClaims(network: pool.network, address: address)
        guard !held.isEmpty, held.allSatisfy({ $0.createdAt < cutoff }) else { return false }
        // `.pending`: released here, and in etcd by `settle` once it answers.
        return try releaseAddress(poolID: poolID, address: address.description) != .notHeld
    }

    private func pool(_ poolID: String) throws -> MultiHostPoolRecord {
        guard let pool = pools.withLock({ $0[poolID] }) else {
            throw MultiHostIPAMError.unknownPool(poolID)
        }
        return pool
    }

    // MARK: settling with etcd

    package struct Settlement: Sendable, Equatable {
        /// Claims in etcd no completed record holds (never answered, or released while etcd
        /// failed), freed.
        package var released: [String] = []
        /// Records whose claim etcd no longer has (gc --node, or never made), dropped.
        package var dropped: [String] = []
        /// Addresses a container here uses whose claim etcd had lost, claimed again.
        package var reclaimed: [String] = []
        /// Addresses a container here uses that another host holds now: two containers on one
        /// address, which only removing one of them mends.
        package var conflicts: [String] = []
    }

    /// Whether an endpoint on this host uses the address of the logical network.
    package typealias EndpointUse = @Sendable (_ network: String, _ address: IPAddress) -> Bool

    /// Compares this host's claims in etcd with its records: a claim without a completed
    /// record of that owner and address is freed; a record whose claim etcd does not have is
    /// claimed again when a container here uses the address, and dropped otherwise (a claim
    /// that failed with etcd's error is kept `lateClaimSeconds`, in case etcd applies it late).
    /// Calls still in flight, and those begun after it looked, are left alone. One at a time
    /// (the timer and `doctor --fix` may ask together). Asks to be run again while a claim may
    /// still come late or a conflict remains.
    package func settle(inUse: EndpointUse) throws -> Settlement {
        try settling.withLock { _ in
            settleDue.store(.max, ordering: .relaxed)
            do {
                let (result, next) = try settleNow(inUse: inUse)
                settleDue.min(next, ordering: .relaxed)
                return result
            } catch {
                markUnsettled()
                throw error
            }
        }
    }

    /// How long a claim that failed with etcd's error may still be applied by etcd (a request
    /// a stopped or partitioned member reads later): its record waits that long, looked at
    /// every pass for its first `soonSeconds` (a loaded etcd applies a dead server's requests
    /// within seconds), then every `waitingSeconds`.
    static let lateClaimSeconds = 300
    static let soonSeconds = 60

    /// `settle`, only when a call etcd failed left something to settle (cheap otherwise).
    package func settleIfNeeded(inUse: EndpointUse) throws -> Settlement? {
        guard Int(Date().timeIntervalSince1970) >= settleDue.load(ordering: .relaxed) else { return nil }
        return try settle(inUse: inUse)
    }

    /// Returns when to look again (unix seconds; `Int.max`: no need).
    private func settleNow(inUse: EndpointUse) throws -> (Settlement, next: Int) {
        // Before etcd is read: an owner of this run below the horizon and not in flight now
        // ended before the read, so etcd and the records both show all it did.
        let (horizon, inFlight) = calls.withLock { ($0.next, $0.inFlight) }
        let thisRun = ":\(runID):"
        func ended(_ owner: String) -> Bool {
            guard let range = owner.range(of: thisRun) else { return true }
            guard let sequence = UInt64(owner[range.upperBound...]) else { return false }
            return sequence <= horizon && !inFlight.contains(owner)
        }
        let node = multiHost.settings.node
        let claims = try multiHost.allocator.claims().filter { $0.host == node && ended($0.owner) }
        let records = try store.multiHostClaims().filter { ended($0.owner) }
        let completed = Dictionary(records.compactMap { record in record.address.map { (record.owner, $0) } },
                                   uniquingKeysWith: { first, _ in first })
        var result = Settlement()
        var confirmed: Set<String> = []
        for claim in claims {
            if completed[claim.owner] == claim.address {
                confirmed.insert(claim.owner)
                continue
            }
            if try releaseIfHeld(claim.address, in: claim.network, owner: claim.owner) {
                result.released.append("\(claim.network)/\(claim.address)")
            }
        }
        let logical = Dictionary(pools.withLock { $0.values.map { ($0.network, $0.logical) } }, uniquingKeysWith: { first, _ in first })
        let now = Int(Date().timeIntervalSince1970)
        var stale: [MultiHostClaimRecord] = []
        var next = Int.max
        for record in records where !confirmed.contains(record.owner) {
            guard let address = record.address else {
                // etcd may still apply it: then the next pass frees the claim (no completed record).
                let age = now - record.createdAt
                if age < Self.soonSeconds { next = min(next, now) }
                else if age < Self.lateClaimSeconds { next = min(next, now + Self.waitingSeconds) }
                else { stale.append(record) }
                continue
            }
            guard let network = logical[record.network], inUse(record.network, address) else {
                stale.append(record)
                continue
            }
            let claim = Result { () throws(MultiHostError) in
                try multiHost.allocator.allocate(in: network, owner: record.owner, preferred: address)
            }
            switch claim {
            case .success, .failure(.addressHeld(_, _, _, record.owner)):
                // A release of it since the read deleted the record: then the claim is no one's.
                if try store.multiHostClaims(network: record.network, address: address).contains(where: { $0.owner == record.owner }) {
                    result.reclaimed.append("\(record.network)/\(address)")
                } else {
                    try releaseIfHeld(address, in: record.network, owner: record.owner)
                }
            case .failure(.addressHeld(_, _, let host, _)):
                // Looked at again until one of the two containers goes.
                result.conflicts.append("\(record.network)/\(address) (held by host \(host))")
                next = min(next, now + Self.waitingSeconds)
            case .failure(.etcd(let failure)): throw MultiHostError.etcd(failure)
            case .failure: stale.append(record)  // outside the subnet or reserved: not an address to hold
            }
        }
        try store.deleteMultiHostClaims(owners: stale.map(\.owner))
        result.dropped = stale.compactMap { record in record.address.map { "\(record.network)/\($0)" } }
        return (result, next)
    }

    /// Frees `address` in etcd if `owner` on this host still holds it. False when nobody held
    /// it, or someone else does now (etcd freed it, or gave it to another claim, since this
    /// host's record was made): then it is not this host's to free.
    @discardableResult
    private func releaseIfHeld(_ address: IPAddress, in network: String, owner: String) throws(MultiHostError) -> Bool {
        do {
            return try multiHost.allocator.release(address, in: network, owner: owner)
        } catch .notHolder {
            return false
        }
    }
}

extension MultiHostPoolRecord {
    var logical: LogicalNetwork { LogicalNetwork(name: network, subnet: subnet, gateway: gateway, vni: vni, createdBy: "") }
}

package enum MultiHostIPAMError: Error, Sendable, CustomStringConvertible {
    case invalid(String)
    case unknownPool(String)
    case alreadyHeld(String)

    package var description: String {
        switch self {
        case .invalid(let what): return what
        case .alreadyHeld(let name):
            return "multi-host network \(name) already has a network on this host; one per host"
        case .unknownPool(let id): return "multi-host pool \(id) is not held on this host"
        }
    }
}
