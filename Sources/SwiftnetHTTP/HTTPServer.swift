import CSwiftnetHTTPShim
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP/1.1 server (libmicrohttpd) on a listening socket, calling one handler per request from
/// a pool of worker threads.
package final class HTTPServer: Sendable {
    private struct Running {
        var daemon: OpaquePointer
        var context: Unmanaged<HTTPServerContext>
    }

    private let running: Mutex<Running?>

    /// Serving starts before this returns.
    ///
    /// Takes ownership of `fd`, which must be bound and listening: `stop()` closes it, and so
    /// does a throwing init. The socket file itself is the caller's to remove.
    package init(
        listeningSocket fd: Int32,
        configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
        handler: any HTTPHandler,
        logger: Logger
    ) throws {
        var limits: swiftnet_http_limits
        do {
            limits = try Self.validated(configuration)
        } catch {
            close(fd)
            throw error
        }
        let context = Unmanaged.passRetained(HTTPServerContext(handler: handler, logger: logger))
        var message = [CChar](repeating: 0, count: 256)
        let daemon = message.withUnsafeMutableBufferPointer { buffer in
            swiftnet_http_start(
                fd, &limits, httpServerHandleRequest, httpServerLog, context.toOpaque(),
                buffer.baseAddress, buffer.count
            )
        }
        guard let daemon else {
            context.release()
            let reason = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw HTTPServerError.startFailed(reason)
        }
        running = Mutex(Running(daemon: daemon, context: context))
        logger.debug("HTTP server started", metadata: [
            "threads": "\(configuration.threads)", "fd": "\(fd)",
        ])
        Self.warnIfDescriptorsAreShort(configuration, logger: logger)
    }

    deinit {
        stop()
    }

    /// Closes the listening socket and all connections and waits until no handler runs any more.
    /// Idempotent. Must not be called from inside a handler: it waits for that very thread.
    package func stop() {
        guard let stopped = running.withLock({ state -> Running? in
            defer { state = nil }
            return state
        }) else { return }
        swiftnet_http_stop(stopped.daemon)
        stopped.context.release()
    }

    /// Every connection is a descriptor. Below the hard limit the server still works (it closes
    /// connections not being served when accept runs out), but a flood costs new clients a
    /// short pause each; the operator should know why.
    private static func warnIfDescriptorsAreShort(_ configuration: HTTPServerConfiguration, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        let needed = rlim_t(configuration.hardConnectionLimit) + 64
        if limit.rlim_cur < needed {  // RLIM_INFINITY is the largest value
            logger.warning("the open-file limit (RLIMIT_NOFILE \(limit.rlim_cur)) is below what \(configuration.hardConnectionLimit) HTTP connections need (\(needed)); under a connection flood new clients wait for older connections to be closed")
        }
    }

    private static func validated(_ configuration: HTTPServerConfiguration) throws -> swiftnet_http_limits {
        func check(_ value: Int, _ range: ClosedRange<Int>, _ name: String) throws -> UInt32 {
            guard range.contains(value) else {
                throw HTTPServerError.invalidConfiguration(
                    "\(name) is \(value), must be within \(range.lowerBound)...\(range.upperBound)")
            }
            return UInt32(value)
        }
        let threads = try check(configuration.threads, 1...1024, "threads")
        let idle = try check(configuration.idleTimeoutSeconds, 0...86_400, "idleTimeoutSeconds")
        let header = try check(configuration.headerDeadlineSeconds, 1...3600, "headerDeadlineSeconds")
        let body = try check(configuration.requestDeadlineSeconds, 0...86_400, "requestDeadlineSeconds")
        _ = try check(configuration.maxBodyBytes, 1...(1 << 30), "maxBodyBytes")
        let soft = try check(configuration.connectionLimit, 1...1_000_000, "connectionLimit")
        // MHD splits the hard limit across its worker threads; each needs at least one.
        let hard = try check(configuration.hardConnectionLimit,
                             max(configuration.threads, configuration.connectionLimit)...1_000_000,
                             "hardConnectionLimit")
        return swiftnet_http_limits(
            threads: threads, idle_timeout_seconds: idle, header_deadline_seconds: header,
            body_deadline_seconds: body, max_body_bytes: configuration.maxBodyBytes,
            soft_connection_limit: soft, hard_connection_limit: hard)
    }
}
