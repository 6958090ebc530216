import Dispatch
import Synchronization
import SwiftnetAddress
import SwiftnetEtcd

/// Keeps a `RemoteEndpointTable` in step with etcd and hands every change to `onChanges`:
/// a full read of `eps/`, then a watch from the revision after it. When the watch breaks (etcd
/// restarted, network gone) it resumes from the last revision it applied, so nothing is missed
/// or applied twice; when etcd has compacted that history away, it reads everything again and
/// hands over the difference. Runs on a thread of its own until `stop()`.
package final class RemoteEndpointWatcher: Sendable {
    package let etcd: EtcdClient
    package let keys: MultiHostKeys
    private let onChanges: @Sendable ([RemoteEndpointChange]) -> Void

    private struct State {
        var table: RemoteEndpointTable
        var running = false
        var watch: EtcdWatch?
        var lastError: String?
        var resyncs = 0
        var resumes = 0
    }
    private let state: Mutex<State>
    private let finished = DispatchSemaphore(value: 0)
    private let wake = DispatchSemaphore(value: 0)

    /// Pause before reconnecting after a failure.
    static let retrySeconds = 0.5

    package init(etcd: EtcdClient, localHost: String, keys: MultiHostKeys = MultiHostKeys(),
                 onChanges: @escaping @Sendable ([RemoteEndpointChange]) -> Void) {
        self.etcd = etcd
        self.keys = keys
        self.onChanges = onChanges
        state = Mutex(State(table: RemoteEndpointTable(localHost: localHost, keys: keys)))
    }

    package var entries: [EndpointLocation] { state.withLock { $0.table.entries } }
    /// Names of `network`'s endpoints on every host, for DNS (see `RemoteEndpointTable.names`).
    package func names(of network: String) -> [String: [IPAddress]] { state.withLock { $0.table.names(of: network) } }
    package var revision: Int64 { state.withLock { $0.table.revision } }
    package var lastError: String? { state.withLock { $0.lastError } }
    /// Full reads after the first (the watch's history had been compacted).
    package var resyncs: Int { state.withLock { $0.resyncs } }
    /// Watches reopened from the last revision after a break.
    package var resumes: Int { state.withLock { $0.resumes } }

    package func start() {
        let alreadyRunning = state.withLock { state -> Bool in
            defer { state.running = true }
            return state.running
        }
        guard !alreadyRunning else { return }
        DispatchQueue(label: "swiftnet.multihost.watch").async { [self] in
            run()
            finished.signal()
        }
    }

    /// Stops the thread and waits for it; a second call (or one before `start`) does nothing.
    package func stop() {
        let (wasRunning, watch) = state.withLock { state -> (Bool, EtcdWatch?) in
            defer { state.running = false }
            return (state.running, state.watch)
        }
        guard wasRunning else { return }
        watch?.cancel()
        wake.signal()
        finished.wait()
    }

    /// Breaks the current watch as a network failure would (tests).
    package func interruptWatch() {
        state.withLock { $0.watch }?.cancel()
    }

    private var running: Bool { state.withLock { $0.running } }

    private func run() {
        var needsFullRead = true
        var first = true
        while running {
            do throws(EtcdError) {
                if needsFullRead {
                    let range = try etcd.range(prefix: keys.allEndpoints)
                    let changes = state.withLock { state in
                        if !first { state.resyncs += 1 }
                        return state.table.reset(to: range.keyValues, revision: range.revision)
                    }
                    first = false
                    needsFullRead = false
                    if !changes.isEmpty { onChanges(changes) }
                }
                let from = state.withLock { $0.table.revision } + 1
                let watch = try EtcdWatch(client: etcd, key: keys.allEndpoints,
                                          rangeEnd: EtcdKeyRange.end(ofPrefix: keys.allEndpoints), startRevision: from)
                let keepGoing = state.withLock { state -> Bool in
                    state.watch = watch
                    return state.running
                }
                guard keepGoing else { watch.cancel(); break }
                while true {
                    guard let response = try watch.next() else { continue }
                    if response.canceled {
                        if response.compactRevision > 0 { needsFullRead = true }
                        throw EtcdError.watchEnded("cancelled by etcd (compacted at \(response.compactRevision))")
                    }
                    let changes = state.withLock { state in
                        state.lastError = nil
                        return state.table.apply(response)
                    }
                    if !changes.isEmpty { onChanges(changes) }
                }
            } catch {
                let stillRunning = state.withLock { state -> Bool in
                    state.watch = nil
                    guard state.running else { return false }
                    state.lastError = error.description
                    if !needsFullRead { state.resumes += 1 }
                    return true
                }
                guard stillRunning else { break }
                _ = wake.wait(timeout: .now() + Self.retrySeconds)
            }
        }
    }
}
