import Glibc

/// Commits the changes of concurrent calls together, one transaction for all that queued up
/// while the previous one was being written: the first caller to wait becomes the one who
/// writes, the others wait for its transaction. Every caller returns only once the transaction
/// holding its change has committed (or throws if it failed): a change is committed before its
/// answer is sent, as with one commit per call.
///
/// Changes are submitted in the order the service applied them in memory (under its lock), and
/// written in that order. When a transaction fails, it and every change submitted after it
/// fail (they were planned on top of it), and the committer refuses new changes until the
/// service has reloaded its memory from the store and called `resume()`.
final class GroupCommit: @unchecked Sendable {
    private let store: any IPAMStore
    // pthread primitives: Synchronization's Mutex has no condition to wait on.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    // All below under `mutex`.
    private var pending: [IPAMChange] = []
    /// Serial of the last change submitted; every serial up to `settled` is committed or failed.
    private var submitted: UInt64 = 0
    private var settled: UInt64 = 0
    private var writing = false
    private var failures: [(serials: ClosedRange<UInt64>, error: any Error)] = []
    private var refusing: (any Error)?
    /// Transactions written and changes in them (tests, benchmark notes).
    private(set) var transactions = 0
    private(set) var changes = 0

    init(store: any IPAMStore) {
        self.store = store
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Whether a transaction failed and memory must be reloaded from the store (then `resume()`).
    var needsReload: Bool { locked { refusing != nil } }

    /// Queues `change` (already applied in memory by the caller, under the caller's lock, so the
    /// queue's order is memory's); returns the serial to `wait` for. Throws while refusing.
    func submit(_ change: IPAMChange) throws -> UInt64 {
        try locked {
            if let refusing { throw refusing }
            pending.append(change)
            submitted += 1
            return submitted
        }
    }

    /// Returns once the change numbered `serial` is committed; throws the store's error if its
    /// transaction failed. Called without the caller's lock, so that others can queue meanwhile.
    func wait(_ serial: UInt64) throws {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while serial > settled {
            if writing {
                pthread_cond_wait(condition, mutex)
                continue
            }
            // Become the writer of everything queued so far.
            writing = true
            let batch = pending
            pending = []
            let first = settled + 1, last = submitted
            pthread_mutex_unlock(mutex)
            var failure: (any Error)?
            do { try store.commit(batch) } catch { failure = error }
            pthread_mutex_lock(mutex)
            writing = false
            transactions += 1
            changes += batch.count
            if let failure {
                // What was queued meanwhile was planned on top of the failed changes: it fails too.
                failures.append((first...submitted, failure))
                pending = []
                settled = submitted
                refusing = failure
            } else {
                settled = last
            }
            pthread_cond_broadcast(condition)
        }
        if let failed = failures.last(where: { $0.serials.contains(serial) }) { throw failed.error }
    }

    /// Waits until everything submitted is settled; throws if anything failed and memory has
    /// not been reloaded yet. The caller holds its lock, so nothing new is queued meanwhile.
    func flush() throws {
        let last = locked { submitted }
        if last > 0 { try? wait(last) }
        if let refusing = locked({ refusing }) { throw refusing }
    }

    /// After the caller reloaded its memory from the store: accept changes again. (The failed
    /// serials stay known: a waiter may not have looked yet. One entry per failed transaction.)
    func resume() {
        locked { refusing = nil }
    }
}
