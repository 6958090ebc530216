import Dispatch
import Glibc
import Logging
import Synchronization

/// Makes descriptor exhaustion visible instead of leaving a server that answers IPAM calls
/// and fails everything else: /healthz takes a fresh look on each call (503 with the reason),
/// and a timer checks every `interval`; exhaustion on `checksBeforeExit` checks in a row
/// logs a critical line and ends the process with `exitStatus`, which systemd's
/// Restart=on-failure restarts. Exiting loses nothing: every change is committed before it
/// is answered, and start-up reconciles the kernel with the state.
package final class ResourceWatchdog: Sendable {
    /// EX_OSERR: the operating system refused us a resource.
    package static let exitStatus: Int32 = 71

    package let interval: Duration
    private let probe = DescriptorProbe()
    private let watch: Mutex<DescriptorWatch>
    private let logger: Logger
    private let exit: @Sendable (Int32) -> Void
    /// Dispatch sources are thread-safe; Dispatch just does not say so to Swift 6.
    nonisolated(unsafe) private let timer: any DispatchSourceTimer

    /// `exit` ends the process at once (`_exit`: other threads still run, and every change
    /// was committed before it was answered, so nothing is lost); the socket file stays and
    /// the next start replaces it as a stale one. Replaceable only so that a test can watch
    /// the decision without dying.
    package init(interval: Duration = .seconds(5), checksBeforeExit: Int = 2, logger: Logger,
                 exit: @escaping @Sendable (Int32) -> Void = { Glibc._exit($0) }) {
        self.interval = interval
        self.logger = logger
        self.exit = exit
        watch = Mutex(DescriptorWatch(checksBeforeExit: checksBeforeExit))
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "swiftnet.resource-watchdog"))
        let milliseconds = max(1, Int(interval / .milliseconds(1)))
        timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds),
                       leeway: .milliseconds(milliseconds / 10))
        timer.setEventHandler { [weak self] in self?.check() }
        timer.resume()
    }

    package func stop() { timer.cancel() }

    deinit { timer.cancel() }

    /// A fresh look, for /healthz.
    package func usage() -> DescriptorUsage { probe.sample() }

    /// One timer check; returns the verdict (for tests).
    @discardableResult
    package func check() -> DescriptorWatch.Verdict {
        let usage = probe.sample()
        let (verdict, checks) = watch.withLock { watch in (watch.record(usage), watch.exhaustedChecks) }
        switch verdict {
        case .healthy:
            break
        case .exhausted(let problem):
            logger.error("\(problem)", metadata: ["checks": "\(checks)"])
        case .exit(let problem):
            logger.critical("\(problem) on \(checks) checks in a row; exiting with status \(ResourceWatchdog.exitStatus) so that the supervisor restarts swiftnet")
            exit(ResourceWatchdog.exitStatus)
        }
        return verdict
    }
}
