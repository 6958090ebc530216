import Dispatch
import Synchronization
import SwiftnetEtcd
import SwiftnetAddress

/// This host's presence in etcd: a lease (TTL `ttlSeconds`, renewed every third of it) carrying
/// `hosts/<name>` and every endpoint location this host publishes. If the host dies its lease
/// expires and every other host drops its endpoints. If the lease is lost while the host lives
/// (etcd unreachable for longer than the TTL), a new one is granted and everything published is
/// written again, with no step by hand; so are publishes and withdrawals that failed meanwhile.
package final class HostMembership: Sendable {
    /// 15 s: a dead host's endpoints leave every FDB within 15 s (plus etcd's expiry check).
    package static let defaultTTLSeconds: Int64 = 15

    package let etcd: EtcdClient
    package let keys: MultiHostKeys
    package let record: HostRecord
    package let ttlSeconds: Int64

    package struct Status: Sendable, Equatable {
        package var lease: Int64?
        /// The last etcd failure, nil once a renewal succeeded after it.
        package var lastError: String?
        /// Leases granted so far: more than 1 means one was lost and replaced.
        package var leasesGranted: Int
    }

    private struct State {
        var status = Status(lease: nil, lastError: nil, leasesGranted: 0)
        var published: [String: EndpointLocation] = [:]
        /// Keys whose put or delete failed, to be written again (or deleted) on the next tick.
        var pendingPuts: Set<String> = []
        var pendingDeletes: Set<String> = []
        var running = false
    }
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    package init(etcd: EtcdClient, record: HostRecord, keys: MultiHostKeys = MultiHostKeys(),
                 ttlSeconds: Int64 = HostMembership.defaultTTLSeconds) throws(MultiHostError) {
        try HostRecord.validate(host: record.name)
        self.etcd = etcd
        self.keys = keys
        self.record = record
        self.ttlSeconds = max(2, ttlSeconds)
    }

    package var status: Status { state.withLock { $0.status } }

    /// Joins now if etcd answers (else the error is in `status` and the renewal loop keeps
    /// trying), and starts renewing.
    package func start() {
        let alreadyRunning = state.withLock { state -> Bool in
            defer { state.running = true }
            return state.running
        }
        guard !alreadyRunning else { return }
        tick()
        DispatchQueue(label: "swiftnet.multihost.lease").async { [self] in
            while true {
                let failing = state.withLock { $0.status.lastError != nil }
                // A third of the TTL while healthy; every second while etcd fails.
                let seconds = failing ? 1.0 : Double(ttlSeconds) / 3
                _ = wake.wait(timeout: .now() + seconds)
                guard state.withLock({ $0.running }) else { break }
                tick()
            }
            finished.signal()
        }
    }

    /// Stops renewing and revokes the lease: this host's endpoints leave every FDB at once.
    package func stop() throws(MultiHostError) {
        let lease = halt()
        if let lease { try MultiHostError.etcd { () throws(EtcdError) in try etcd.revoke(lease: lease) } }
    }

    /// Stops renewing without a word to etcd, as a crash would: the lease runs out by itself.
    package func abandon() {
        _ = halt()
    }

    private func halt() -> Int64? {
        let wasRunning = state.withLock { state -> Bool in
            defer { state.running = false }
            return state.running
        }
        if wasRunning {
            wake.signal()
            finished.wait()
        }
        return state.withLock { $0.status.lease }
    }

    /// Writes where an endpoint is, on the lease. Remembered even if etcd fails now: written
    /// on the next renewal that reaches etcd. The error is still thrown, for the caller to report.
    package func publish(_ location: EndpointLocation) throws(MultiHostError) {
        let key = keys.endpoint(location.network, location.address)
        let lease = state.withLock { state -> Int64? in
            state.published[key] = location
            state.pendingDeletes.remove(key)
            state.pendingPuts.insert(key)
            return state.status.lease
        }
        guard let lease else { throw .etcd(.unreachable(attempts: [state.withLock { $0.status.lastError } ?? "no lease yet"], seconds: etcd.timeoutSeconds)) }
        try MultiHostError.etcd { () throws(EtcdError) in try etcd.put(key, location.json, lease: lease) }
        state.withLock { state in
            if state.published[key] == location { state.pendingPuts.remove(key) }
        }
    }

    /// Deletes an endpoint's location (its container left).
    package func withdraw(network: String, address: IPAddress) throws(MultiHostError) {
        let key = keys.endpoint(network, address)
        state.withLock { state in
            state.published[key] = nil
            state.pendingPuts.remove(key)
            state.pendingDeletes.insert(key)
        }
        try MultiHostError.etcd { () throws(EtcdError) in try etcd.deleteRange(key) }
        state.withLock { state in
            if state.published[key] == nil { state.pendingDeletes.remove(key) }
        }
    }

    /// One renewal: keep the lease alive (or get a new one and write everything again), then
    /// retry whatever failed before.
    private func tick() {
        do throws(EtcdError) {
            var lease = state.withLock { $0.status.lease }
            if let current = lease, try etcd.keepAlive(lease: current) == 0 {
                lease = nil
            }
            if lease == nil {
                let granted = try etcd.grantLease(ttlSeconds: ttlSeconds).id
                try etcd.put(keys.host(record.name), record.json, lease: granted)
                state.withLock { state in
                    state.status.lease = granted
                    state.status.leasesGranted += 1
                    state.pendingPuts = Set(state.published.keys)
                }
                lease = granted
            }
            let (puts, deletes) = state.withLock { state in
                (state.pendingPuts.compactMap { key in state.published[key].map { (key, $0) } }, state.pendingDeletes)
            }
            for (key, location) in puts {
                try etcd.put(key, location.json, lease: lease!)
                state.withLock { state in if state.published[key] == location { state.pendingPuts.remove(key) } }
            }
            for key in deletes {
                try etcd.deleteRange(key)
                state.withLock { state in if state.published[key] == nil { state.pendingDeletes.remove(key) } }
            }
            state.withLock { $0.status.lastError = nil }
        } catch {
            state.withLock { $0.status.lastError = error.description }
        }
    }

    /// Hosts whose lease holds now.
    package static func liveHosts(etcd: EtcdClient, keys: MultiHostKeys = MultiHostKeys()) throws(MultiHostError) -> [HostRecord] {
        let range = try MultiHostError.etcd { () throws(EtcdError) in try etcd.range(prefix: keys.hosts) }
        var hosts: [HostRecord] = []
        for kv in range.keyValues { hosts.append(try HostRecord(key: kv.key, json: kv.value)) }
        return hosts
    }
}
