#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

package struct HTTPServerConfiguration: Sendable, Equatable {
    /// Worker threads, each with its own epoll set and connections.
    package var threads: Int
    /// One per core, at least 2 (a slow call holds up only the connections of its own
    /// thread) and at most 16. More threads than cores made requests wait on each other: on 2
    /// cores with 8 connections, 4 threads had a p99 of 1.2-1.6 ms where 2 had 0.86-1.0 ms,
    /// at the same rate (`swiftnet-bench ipam`'s client, same runs).
    package static var defaultThreads: Int {
        min(16, max(2, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))
    }
    /// A kept-alive connection whose next request head is not complete this long after the
    /// previous answer is closed; bytes trickling in do not extend it. dockerd closes its idle
    /// connections after 30 s, so anything longer lets it close first (a connection the server
    /// closes while dockerd writes a request on it makes dockerd resend with an empty body).
    package var idleTimeoutSeconds: Int
    /// A new connection whose first request head is not complete this long after it was
    /// accepted gets 408 and is closed (clients that connect and then say nothing, or trickle).
    package var headerDeadlineSeconds: Int
    /// A request whose body has not fully arrived this long after its head is aborted; 0: no
    /// deadline (a client that keeps sending holds its connection).
    package var requestDeadlineSeconds: Int
    /// Larger bodies get 413 and the connection is closed.
    package var maxBodyBytes: Int
    /// 16 MiB. The largest bodies dockerd sends are a container's port bindings (CreateEndpoint,
    /// Join, ProgramExternalConnectivity): one `-p` range is at most 65,535 bindings, each at
    /// most ~153 bytes (its `exposedports` entry and a `portmap` entry with a 45-character IPv6
    /// host IP), about 10 MB; with an empty host IP (~107 bytes each) the full range for both
    /// tcp and udp, 131,070 bindings, is about 14 MB. `-p 20000-29999:20000-29999` is ~1.07 MB.
    package static let defaultMaxBodyBytes = 16 << 20
    /// Soft limit: at this many open connections, each new one first closes the connection that
    /// has waited longest among those still sending their first request head, else among those
    /// idle between requests, else among those sending a body. A request in the handler, or
    /// being answered, is never cut off.
    package var connectionLimit: Int
    /// Never more connections than this (each is a file descriptor): beyond it, when every one
    /// is being served, a new client gets 503.
    package var hardConnectionLimit: Int

    package init(
        threads: Int = HTTPServerConfiguration.defaultThreads,
        idleTimeoutSeconds: Int = 60,
        headerDeadlineSeconds: Int = 10,
        requestDeadlineSeconds: Int = 30,
        maxBodyBytes: Int = HTTPServerConfiguration.defaultMaxBodyBytes,
        connectionLimit: Int = 256,
        hardConnectionLimit: Int = 1024
    ) {
        self.threads = threads
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.headerDeadlineSeconds = headerDeadlineSeconds
        self.requestDeadlineSeconds = requestDeadlineSeconds
        self.maxBodyBytes = maxBodyBytes
        self.connectionLimit = connectionLimit
        self.hardConnectionLimit = hardConnectionLimit
    }
}
