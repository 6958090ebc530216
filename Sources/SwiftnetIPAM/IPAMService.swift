import Glibc
import SwiftnetAddress
import Synchronization
import SwiftnetCrashPoints

/// The IPAM driver's engine: the allocator behind a lock, with every change committed to the
/// store before the caller answers dockerd.
///
/// RequestAddress and ReleaseAddress (the calls of every container start and stop) plan and
/// apply their change in memory under the lock, queue it, and wait for its commit after
/// releasing the lock, so that concurrent calls share one transaction (`GroupCommit`) instead
/// of each holding the lock through a commit of its own. If a transaction fails, its callers
/// get the error and memory is reloaded from the store. Every other change is committed alone
/// before it is applied, once everything queued is committed.
package final class IPAMService: Sendable {
    private struct State {
        var allocator: IPAMAllocator
        var retries = RetryCandidates()
        /// The network driver's endpoints (see `consult`); nil: none are known (the IPAM
        /// alone, as under `-d bridge --ipam-driver swiftnet`).
        var holders: (any AddressHolders)?

        /// A released address is no longer anyone's answer to give again.
        mutating func apply(release change: IPAMChange) {
            allocator.apply(change)
            if case .release(let poolID, let address) = change { retries.forget(poolID: poolID, address: address) }
        }
    }

    private let state: BlockingMutex<State>
    private let store: any IPAMStore
    private let committer: GroupCommit
    private let routes: any HostRouteSource
    /// For pools made with `swiftnet.probe=arp`; nil: such pools are refused no address.
    private let probe: (any AddressProbe)?
    /// Unix seconds; tests pass their own.
    private let clock: @Sendable () -> Int

    /// How many addresses one request may find in use on the LAN before it gives up.
    package static let probeAttempts = 8

    /// Loads the store's snapshot into a new allocator. Sticky names the bounds leave out (a
    /// table written before them) are deleted from the store here.
    package init(configuration: IPAMConfiguration, store: any IPAMStore, routes: any HostRouteSource,
                probe: (any AddressProbe)? = nil, clock: @escaping @Sendable () -> Int = { Int(time(nil)) }) throws {
        let snapshot = try store.loadIPAM()
        let (allocator, forgotten) = IPAMAllocator.restoring(configuration: configuration, snapshot: snapshot)
        if !forgotten.isEmpty { try store.commit(.forgetSticky(forgotten)) }
        self.state = BlockingMutex(State(allocator: allocator))
        self.store = store
        self.committer = GroupCommit(store: store)
        self.routes = routes
        self.probe = probe
        self.clock = clock
    }

    /// At the start of serving, after an unclean stop: the answers the previous process may
    /// have committed without sending (see `RetryCandidates`). An address an endpoint holds
    /// (`consult`) was answered, whatever the store says, and is not given again.
    package func expectRetries(_ candidates: RetryCandidates) {
        state.withLock { $0.retries = candidates }
    }

    /// From now on ReleaseAddress refuses what `holders` still hold, and a retried request
    /// is not given an address an endpoint has. Called once the driver exists (it is made
    /// after the IPAM); asked under the IPAM's lock (the driver never waits for the IPAM, so
    /// the order cannot deadlock).
    package func consult(_ holders: any AddressHolders) {
        state.withLock { $0.holders = holders }
    }

    /// Returns the new pool. An identical explicit request is refused as an overlap, like any
    /// other: a RequestPool carries no network identity, and within one process the second is
    /// another network. Only a pool the previous process made and may not have answered is
    /// given once more (see `RetryCandidates`).
    package func requestPool(_ request: IPAMAllocator.PoolRequest) throws -> PoolRecord {
        try state.withLock { state in
            try settle(&state)
            if let existing = state.allocator.poolOfRepeatedRequest(request), state.retries.hasPool(existing.id, now: clock()) {
                state.retries.forgetPool(existing.id)
                return existing
            }
            let record = try state.allocator.planRequestPool(request, hostRoutes: { try routes.routes(family: request.v6 ? .v6 : .v4) })
            let change = IPAMChange.createPool(record)
            try store.commit(change)
            CrashPoint.reach("ipam.RequestPool.committed")
            state.allocator.apply(change)
            return record
        }
    }

    /// Returns false when there was no such pool (the caller logs it).
    @discardableResult
    package func releasePool(_ id: String) throws -> Bool {
        try state.withLock { state in
            try settle(&state)
            guard let change = state.allocator.planReleasePool(id) else { return false }
            try store.commit(change)
            CrashPoint.reach("ipam.ReleasePool.committed")
            state.allocator.apply(change)
            state.retries.forgetPool(id)
            return true
        }
    }

    /// Returns the address with the pool's prefix length, e.g. `172.18.0.2/16`. In a pool
    /// made with `swiftnet.probe=arp`, an address handed out dynamically is first probed on the
    /// LAN (outside the lock, the address already held so no other request gets it); one that
    /// answers is released and the next one tried, up to `probeAttempts`. Gateways and
    /// addresses asked for by value are not probed: the user named them.
    package func requestAddress(_ request: IPAMAllocator.AddressRequest) throws -> (address: IPAddress, cidr: String) {
        // One lock for the common case: the allocation says which pool it came from, and only
        // then is the pool's probe option looked at.
        var answer = try allocate(request, excluding: [])
        guard request.address.isEmpty, !request.isGateway, answer.pool.options[IPAMOptions.probe] == IPAMOptions.probeARP else {
            return (answer.address, answer.cidr)
        }
        let pool = answer.pool
        guard let probe else {
            _ = try releaseAddress(poolID: pool.id, address: answer.address.description)
            throw IPAMError.probeFailed(pool: pool.prefix, reason: "this server has no address probe")
        }
        var inUse: [IPAddress] = []
        for attempt in 0..<IPAMService.probeAttempts {
            if attempt > 0 { answer = try allocate(request, excluding: Set(inUse)) }
            let answered: Bool
            do {
                answered = try probe.isInUse(answer.address, pool: pool)
            } catch {
                _ = try? releaseAddress(poolID: pool.id, address: answer.address.description)
                throw IPAMError.probeFailed(pool: pool.prefix, reason: "\(error)")
            }
            guard answered else { return (answer.address, answer.cidr) }
            _ = try releaseAddress(poolID: pool.id, address: answer.address.description)
            inUse.append(answer.address)
        }
        throw IPAMError.addressesInUseOnLink(pool: pool.prefix, found: inUse)
    }

    private func allocate(_ request: IPAMAllocator.AddressRequest, excluding: Set<IPAddress>) throws
        -> (address: IPAddress, cidr: String, pool: PoolRecord) {
        let (queued, answer) = try state.withLock { state -> (UInt64?, (address: IPAddress, cidr: String, pool: PoolRecord)) in
            if committer.needsReload { try reload(&state) }
            if let retried = try answerRetry(request, in: &state), let pool = state.allocator.pool(request.poolID) {
                return (nil, (retried.address, retried.cidr, pool))
            }
            let change = try state.allocator.planRequestAddress(request, excluding: excluding)
            guard case .allocate(let record, _) = change, let pool = state.allocator.pool(record.poolID) else {
                preconditionFailure("planRequestAddress returns an allocation in a known pool")
            }
            state.allocator.apply(change)
            return (try queue(change, in: &state), (record.address, pool.prefix.cidr(for: record.address), pool))
        }
        if let queued {
            try committed(queued)
            CrashPoint.reach("ipam.RequestAddress.committed")
        }
        return answer
    }

    /// Queues a change already applied in memory; if the committer refuses (a transaction just
    /// failed), memory goes back to the store's state.
    private func queue(_ change: IPAMChange, in state: inout State) throws -> UInt64 {
        do {
            return try committer.submit(change)
        } catch {
            try? reload(&state)
            throw error
        }
    }

    /// Waits, without the lock, for the commit of a queued change. On failure memory is put
    /// back to the store's state at once, so no reader sees the failed changes for long.
    private func committed(_ serial: UInt64) throws {
        do {
            try committer.wait(serial)
        } catch {
            state.withLock { state in
                if committer.needsReload { try? reload(&state) }
            }
            throw error
        }
    }

    /// Before a change committed on its own: everything queued is committed first (the store
    /// sees changes in memory's order), and memory is reloaded if a queued transaction failed.
    private func settle(_ state: inout State) throws {
        do {
            try committer.flush()
        } catch {
            try reload(&state)
        }
    }

    /// Memory from the store, after a failed transaction; then changes are accepted again.
    private func reload(_ state: inout State) throws {
        let snapshot = try store.loadIPAM()
        state.allocator = IPAMAllocator.restoring(configuration: state.allocator.configuration, snapshot: snapshot).allocator
        committer.resume()
    }

    /// The address a named request got from the previous process, if this is that request
    /// again: given once, only while it is still allocated under the name and no endpoint
    /// holds it. A name whose address someone holds otherwise gets a new address: the other
    /// holder is another container (renamed, or not yet removed) that keeps its own. A request
    /// by value (`--ip`) is that request again only if it names the same address.
    private func answerRetry(_ request: IPAMAllocator.AddressRequest, in state: inout State) throws -> (address: IPAddress, cidr: String)? {
        guard !state.retries.isEmpty, !request.isGateway, let name = request.endpointName,
              let pool = state.allocator.pool(request.poolID),
              let address = state.retries.address(poolID: pool.id, name: name, now: clock())
        else { return nil }
        if !request.address.isEmpty {
            let asked = IPAddress(request.address) ?? InterfaceAddress(cidr: request.address)?.address
            guard asked == address else { return nil }
        }
        state.retries.forget(poolID: pool.id, name: name)
        guard state.allocator.holderName(poolID: pool.id, address: address) == name,
              state.holders?.isHeldByAnyEndpoint(address) != true
        else { return nil }
        // Handed out again now: `gc` must not take it for an old address nobody holds.
        try settle(&state)
        try store.refreshAllocationTime(poolID: pool.id, address: address)
        return (address, pool.prefix.cidr(for: address))
    }

    package func releaseAddress(poolID: String, address: String) throws -> IPAMAllocator.ReleasePlan {
        let (queued, plan) = try state.withLock { state -> (UInt64?, IPAMAllocator.ReleasePlan) in
            if committer.needsReload { try reload(&state) }
            let plan = try state.allocator.planReleaseAddress(poolID: poolID, address: address)
            guard case .release(let change) = plan else { return (nil, plan) }
            // Only where the endpoint's network is this pool's: the pool is scoped (the
            // network on its parent), or no other pool has its prefix.
            if case .release(_, let held) = change, let pool = state.allocator.pool(poolID),
               pool.options[IPAMOptions.scope] != nil || state.allocator.poolCount(withPrefix: pool.prefix) == 1,
               let holder = state.holders?.holder(of: held, in: pool) {
                throw IPAMError.addressStillHeld(held, pool: pool.prefix, by: holder)
            }
            state.apply(release: change)
            return (try queue(change, in: &state), plan)
        }
        if let queued {
            try committed(queued)
            CrashPoint.reach("ipam.ReleaseAddress.committed")
        }
        return plan
    }

    /// Frees `address` in whichever pool of `subnet` holds it (an endpoint swiftnet found
    /// stale at start-up); returns false when none did. Gateways are never passed here.
    /// `scope`: the link the endpoint's network lives behind; when pools of several scopes
    /// share the subnet, only the pool of that scope (nil: the unscoped pool) is considered.
    @discardableResult
    package func release(address: IPAddress, inSubnet subnet: IPPrefix, scope: String? = nil) throws -> Bool {
        try state.withLock { state in
            try settle(&state)
            let allocator = state.allocator
            // The local space first: that is where dockerd takes a local-scope driver's pools.
            var ids = allocator.poolIDs.filter { allocator.pool($0)?.prefix == subnet }
                .sorted { (allocator.pool($0)?.addressSpace != IPAMConfiguration.localSpace ? 1 : 0, $0)
                        < (allocator.pool($1)?.addressSpace != IPAMConfiguration.localSpace ? 1 : 0, $1) }
            if ids.count > 1 { ids = ids.filter { allocator.pool($0)?.options[IPAMOptions.scope] == scope } }
            for id in ids {
                guard let pool = allocator.pool(id), pool.prefix == subnet,
                      case .release(let change) = try allocator.planReleaseAddress(poolID: id, address: address.description)
                else { continue }
                try store.commit(change)
                state.apply(release: change)
                return true
            }
            return false
        }
    }

    /// Releases an address no endpoint holds (`gc`: dynamic, or a named container's `--ip`),
    /// only if the store still has the allocation from before `cutoff`: one released and
    /// handed out again meanwhile stays.
    package func releaseLeaked(poolID: String, address: IPAddress, allocatedBefore cutoff: Int) throws -> Bool {
        try state.withLock { state in
            try settle(&state)
            guard case .release(let change) = try state.allocator.planReleaseAddress(poolID: poolID, address: address.description),
                  try store.releaseCollectable(poolID: poolID, address: address, ifAllocatedBefore: cutoff)
            else { return false }
            state.apply(release: change)
            return true
        }
    }

    /// A consistent copy of the allocator for read-only questions (inspect, metrics, tests).
    package func snapshot() -> IPAMAllocator {
        state.withLock { $0.allocator }
    }

    /// How many answers a repeated request may still get again (tests, logs).
    package var retryCandidateCount: Int {
        state.withLock { $0.retries.count }
    }
}
