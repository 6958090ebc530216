import Glibc

/// A value behind a plain pthread mutex: waiters sleep in the kernel at once.
///
/// Swift's `Mutex` on Linux spins before it sleeps and sleeps on a priority-inheritance futex.
/// With more request threads than cores (4 libmicrohttpd workers on 2 cores) the spinning
/// burned ~5 % of the server's CPU at 8 connections, and the PI futex's kernel path costs more
/// than a plain one (perf, `swiftnet-bench ipam`). The IPAM's lock is held for microseconds
/// and contended by threads that could not run anyway.
final class BlockingMutex<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
