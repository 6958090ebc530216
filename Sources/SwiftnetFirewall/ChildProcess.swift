import CSwiftnetSpawn
import Glibc

/// One run of a program through posix_spawn: `input` on its stdin (or /dev/null), stdout and
/// stderr collected, the exit status; killed if it outlives its time limit. A server that runs
/// iptables every few seconds for months must not lose a descriptor per run, so every
/// descriptor made here is closed on every path, errors included, and the child gets exactly
/// 0, 1 and 2: nothing else of the server (listening socket, state file, netlink sockets)
/// reaches the tool.
struct ChildProcess {
    struct Result {
        /// The exit code, or nil if a signal ended the program.
        var exitCode: Int32?
        /// The signal that ended the program, if one did.
        var signal: Int32?
        var stdout: [UInt8]
        var stderr: [UInt8]
        /// The program was still running at its time limit and was killed (SIGKILL); the
        /// output is what was read of it until then.
        var timedOut = false
    }

    /// A system call that failed before the program ran; nothing is left open.
    struct LaunchError: Error, CustomStringConvertible {
        var call: String
        var code: Int32
        var description: String { "\(call): \(String(cString: strerror(code)))" }
    }

    /// Runs `path` with `arguments` (argv[1...]) and exactly `environment` ("NAME=value").
    /// A program still running `timeLimit` after its start is killed, so that no tool can
    /// hold the caller (and every request waiting behind it) for good.
    static func run(path: String, arguments: [String], environment: [String],
                    input: [UInt8]?, timeLimit: Duration? = nil) throws(LaunchError) -> Result {
        let deadline = timeLimit.map { ContinuousClock.now.advanced(by: $0) }
        var descriptors = Descriptors()
        defer { descriptors.closeAll() }

        let stdin = try input.map { _ throws(LaunchError) in try descriptors.makePipe() }
        let stdout = try descriptors.makePipe()
        let stderr = try descriptors.makePipe()
        let pid = try spawn(path: path, arguments: arguments, environment: environment,
                            stdin: stdin?.read, stdout: stdout.write, stderr: stderr.write)
        // Taken before anything can reap the child, so it names this child. Without one (a
        // kernel before 5.3) the exit is polled for instead.
        let exitWatch = timeLimit == nil ? -1 : swiftnet_pidfd_open(pid)
        if exitWatch >= 0 { descriptors.adopt(exitWatch) }
        // The child has its copies; ours of its ends must go, or we never see end of file.
        if let stdin { descriptors.close(stdin.read) }
        descriptors.close(stdout.write)
        descriptors.close(stderr.write)

        // From here the child exists: whatever happens, it is waited for (no zombie).
        var collected = Exchange(input: input ?? [], stdin: stdin?.write, stdout: stdout.read, stderr: stderr.read)
        let outputEnded = collected.run(&descriptors, until: deadline)
        // Closing its output is not exiting: the exit is waited for within the same limit. A
        // tool that exited while something it started still holds the pipes is not killed.
        var status = outputEnded ? waitForExit(pid, until: deadline, exitWatch: exitWatch) : exitStatusIfExited(pid)
        let timedOut = status == nil
        // The pid is ours until waitpid reaps it (a zombie at worst), so this kills nothing else.
        if timedOut { kill(pid, SIGKILL) }
        descriptors.closeAll()
        if status == nil { status = waitForExit(pid) }
        let exit = status ?? 0xFF00
        let terminatingSignal = exit & 0x7f
        return Result(exitCode: terminatingSignal == 0 ? (exit >> 8) & 0xff : nil,
                      signal: terminatingSignal == 0 ? nil : terminatingSignal,
                      stdout: collected.stdoutBytes, stderr: collected.stderrBytes, timedOut: timedOut)
    }

    private static func spawn(path: String, arguments: [String], environment: [String],
                              stdin: Int32?, stdout: Int32, stderr: Int32) throws(LaunchError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        var code = posix_spawn_file_actions_init(&actions)
        guard code == 0 else { throw LaunchError(call: "posix_spawn_file_actions_init", code: code) }
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        code = posix_spawnattr_init(&attributes)
        guard code == 0 else { throw LaunchError(call: "posix_spawnattr_init", code: code) }
        defer { posix_spawnattr_destroy(&attributes) }

        code = stdin.map { posix_spawn_file_actions_adddup2(&actions, $0, 0) }
            ?? posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if code == 0 { code = posix_spawn_file_actions_adddup2(&actions, stdout, 1) }
        if code == 0 { code = posix_spawn_file_actions_adddup2(&actions, stderr, 2) }
        // close_range(3, ~0) in the child: descriptors someone opened without O_CLOEXEC too.
        if code == 0 { code = swiftnet_spawn_add_closefrom(&actions, 3) }
        guard code == 0 else { throw LaunchError(call: "posix_spawn_file_actions", code: code) }

        // The server ignores SIGTERM, SIGINT and SIGHUP (dispatch sources handle them) and blocks
        // SIGPIPE on threads that write to pipes; ignored and blocked signals survive exec, so
        // the tool starts with every signal at its default and none blocked.
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        code = posix_spawnattr_setsigmask(&attributes, &noSignals)
        if code == 0 { code = posix_spawnattr_setsigdefault(&attributes, &allSignals) }
        if code == 0 { code = posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) }
        guard code == 0 else { throw LaunchError(call: "posix_spawnattr", code: code) }

        let argv = ([path] + arguments).map { strdup($0) }
        let envp = environment.map { strdup($0) }
        defer { for pointer in argv + envp { free(pointer) } }
        var pid: pid_t = 0
        code = posix_spawn(&pid, path, &actions, &attributes, argv + [nil], envp + [nil])
        guard code == 0 else { throw LaunchError(call: "posix_spawn", code: code) }
        return pid
    }

    private static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            // ECHILD would mean someone else reaped it; there is no status to report then, and
            // "exited 255" reads as the failure it is.
            guard errno == EINTR else { return 0xFF00 }
        }
        return status
    }

    /// The wait status once the child has exited, or nil if `deadline` comes first. Without
    /// a deadline this is `waitForExit`. `exitWatch` is the child's pidfd, or -1: the exit is
    /// then polled for every millisecond.
    private static func waitForExit(_ pid: pid_t, until deadline: ContinuousClock.Instant?, exitWatch: Int32) -> Int32? {
        guard let deadline else { return waitForExit(pid) }
        while true {
            if let status = exitStatusIfExited(pid) { return status }
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return nil }
            if exitWatch >= 0 {
                var watched = pollfd(fd: exitWatch, events: Int16(POLLIN), revents: 0)
                _ = poll(&watched, 1, Int32(clamping: milliseconds(roundingUp: left)))
            } else {
                usleep(1000)
            }
        }
    }

    /// The wait status if the child has exited (and is now reaped), else nil.
    private static func exitStatusIfExited(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        while true {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid { return status }
            if reaped == 0 { return nil }
            if errno != EINTR { return 0xFF00 }  // as in waitForExit
        }
    }

    /// Rounded up: a poll timeout of 0 before the deadline would spin until it.
    static func milliseconds(roundingUp duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
    }
}

extension ChildProcess {
    /// The descriptors of one run. Each is closed exactly once: explicitly when its job is
    /// done, or by `closeAll` on the way out (errors included).
    struct Descriptors {
        private var open: [Int32] = []

        /// A close-on-exec pipe whose ends are never 0, 1 or 2: a server started with a
        /// standard descriptor closed gets those numbers back from pipe2, and the child's
        /// dup2 onto 0–2 would then overwrite one end with another before using it.
        mutating func makePipe() throws(LaunchError) -> (read: Int32, write: Int32) {
            var ends: [Int32] = [-1, -1]
            guard swiftnet_pipe_cloexec(&ends) == 0 else { throw LaunchError(call: "pipe2", code: errno) }
            open += ends
            for index in ends.indices where ends[index] <= 2 {
                let moved = fcntl(ends[index], F_DUPFD_CLOEXEC, 3)
                guard moved >= 0 else { throw LaunchError(call: "fcntl(F_DUPFD_CLOEXEC)", code: errno) }
                open.append(moved)
                close(ends[index])
                ends[index] = moved
            }
            return (ends[0], ends[1])
        }

        /// A descriptor made elsewhere, closed with the others.
        mutating func adopt(_ fd: Int32) { open.append(fd) }

        mutating func close(_ fd: Int32) {
            guard let index = open.firstIndex(of: fd) else { return }
            open.remove(at: index)
            // Linux releases the descriptor even when close reports EINTR: never retry.
            _ = Glibc.close(fd)
        }

        mutating func closeAll() {
            for fd in open { _ = Glibc.close(fd) }
            open = []
        }
    }

    /// Writes stdin and drains stdout and stderr in one poll loop: a tool that fills one pipe
    /// while we block on another would stall both processes (iptables-save of a large Docker
    /// host is well over the 64 KiB a pipe holds, and iptables-restore may answer before it
    /// has read all of its input).
    struct Exchange {
        let input: [UInt8]
        var stdin: Int32?
        var stdout: Int32?
        var stderr: Int32?
        var stdoutBytes: [UInt8] = []
        var stderrBytes: [UInt8] = []
        private var written = 0

        init(input: [UInt8], stdin: Int32?, stdout: Int32, stderr: Int32) {
            self.input = input
            self.stdin = stdin
            self.stdout = stdout
            self.stderr = stderr
        }

        /// Until the tool closed stdout and stderr (it exited) and took its input or went
        /// away: true then; false if `deadline` came first. A write to a pipe whose reader
        /// exited raises SIGPIPE, which would kill the whole server: it is blocked on this
        /// thread meanwhile, and a SIGPIPE left pending by our write is consumed before the old
        /// mask comes back.
        mutating func run(_ descriptors: inout Descriptors, until deadline: ContinuousClock.Instant?) -> Bool {
            var pipeSignal = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            var previous = sigset_t()
            pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
            defer {
                var pending = sigset_t()
                sigpending(&pending)
                if sigismember(&pending, SIGPIPE) == 1 && sigismember(&previous, SIGPIPE) == 0 {
                    var noWait = timespec(tv_sec: 0, tv_nsec: 0)
                    _ = sigtimedwait(&pipeSignal, nil, &noWait)
                }
                pthread_sigmask(SIG_SETMASK, &previous, nil)
            }
            if let fd = stdin {
                // Non-blocking on our end only (the child's end is a separate open file): a
                // write never waits for more room than the pipe has.
                if input.isEmpty || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) != 0 { finishInput(&descriptors) }
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            while stdout != nil || stderr != nil || stdin != nil {
                var watched: [pollfd] = []
                if let fd = stdin { watched.append(pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)) }
                if let fd = stdout { watched.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
                if let fd = stderr { watched.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
                var timeout: Int32 = -1
                if let deadline {
                    let left = ContinuousClock.now.duration(to: deadline)
                    guard left > .zero else { return false }
                    timeout = Int32(clamping: ChildProcess.milliseconds(roundingUp: left))
                }
                let ready = poll(&watched, nfds_t(watched.count), timeout)
                if ready < 0 {
                    if errno == EINTR { continue }
                    // Nothing sensible is left to wait for: closing our ends makes the tool
                    // see end of file or EPIPE and exit.
                    return true
                }
                for entry in watched where entry.revents != 0 {
                    if entry.fd == stdin {
                        writeInput(&descriptors)
                    } else if entry.fd == stdout {
                        if !drain(entry.fd, into: &stdoutBytes, buffer: &buffer) { descriptors.close(entry.fd); stdout = nil }
                    } else if entry.fd == stderr {
                        if !drain(entry.fd, into: &stderrBytes, buffer: &buffer) { descriptors.close(entry.fd); stderr = nil }
                    }
                }
            }
            return true
        }

        private mutating func writeInput(_ descriptors: inout Descriptors) {
            guard let fd = stdin else { return }
            let count = input.withUnsafeBytes { bytes in
                write(fd, bytes.baseAddress! + written, bytes.count - written)
            }
            if count > 0 {
                written += count
                if written == input.count { finishInput(&descriptors) }
            } else if count < 0 && (errno == EINTR || errno == EAGAIN) {
                return
            } else {
                finishInput(&descriptors)  // EPIPE: the tool exited early; its status says why
            }
        }

        /// Closing stdin is the tool's end of input.
        private mutating func finishInput(_ descriptors: inout Descriptors) {
            if let fd = stdin { descriptors.close(fd) }
            stdin = nil
        }

        /// One read; false at end of file (or an error, which ends the stream the same way).
        private func drain(_ fd: Int32, into bytes: inout [UInt8], buffer: inout [UInt8]) -> Bool {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += buffer[..<count]
                return true
            }
            return count < 0 && (errno == EINTR || errno == EAGAIN)
        }
    }
}
