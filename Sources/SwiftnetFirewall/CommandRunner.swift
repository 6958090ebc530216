import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the iptables tools: a fixed absolute path, an argument array, rules on stdin. There is
/// no shell anywhere, so nothing in an argument is ever parsed as a command line, and the
/// environment is replaced, so variables such as XTABLES_LIBDIR of whoever started swiftnet
/// cannot change which extensions the tools load.
enum CommandRunner {
    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Where Debian installs the tools (/sbin is the same folder on merged-/usr systems, but
    /// not on older ones). PATH is not searched: it belongs to whoever started us.
    static let folders = ["/usr/sbin", "/sbin"]

    static func tool(_ name: String) throws(FirewallError) -> String {
        for folder in folders {
            let path = folder + "/" + name
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw .toolMissing(name)
    }

    /// Runs the tool and returns its status and output, whatever the status.
    static func run(_ path: String, _ arguments: [String], input: String? = nil) throws(FirewallError) -> Output {
        let command = describe(path, arguments)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]
        let stdout = Pipe(), stderr = Pipe()
        let stdin = input == nil ? nil : Pipe()
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        // Not waitUntilExit: on Linux it polls the run loop in 50 ms steps, which made each
        // tool run cost 50 ms instead of 2.
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw .launchFailed(command: command, reason: "\(error)")
        }
        let outReader = PipeReader(stdout.fileHandleForReading)
        let errReader = PipeReader(stderr.fileHandleForReading)
        if let stdin, let input {
            writeAll(Array(input.utf8), to: stdin.fileHandleForWriting.fileDescriptor)
            try? stdin.fileHandleForWriting.close()
        }
        exited.wait()
        let out = outReader.wait(), err = errReader.wait()
        var status = process.terminationStatus
        var errText = String(decoding: err, as: UTF8.self)
        if process.terminationReason == .uncaughtSignal {
            errText += "\n(killed by signal \(status))"
            status = 128 + status
        }
        return Output(status: status, stdout: String(decoding: out, as: UTF8.self), stderr: errText)
    }

    /// Runs the tool and throws, with its stderr, unless it exits 0.
    @discardableResult
    static func check(_ path: String, _ arguments: [String], input: String? = nil) throws(FirewallError) -> Output {
        let output = try run(path, arguments, input: input)
        guard output.status == 0 else {
            throw .commandFailed(command: describe(path, arguments), status: output.status, stderr: output.stderr)
        }
        return output
    }

    static func describe(_ path: String, _ arguments: [String]) -> String {
        ([URL(fileURLWithPath: path).lastPathComponent] + arguments).joined(separator: " ")
    }

    /// Writes everything, or stops early if the tool went away (its exit status and stderr
    /// then tell why). A write to a pipe whose reader exited raises SIGPIPE, which would kill
    /// the whole server; it is blocked on this thread for the duration, and a SIGPIPE left
    /// pending by our write is consumed before the old mask comes back.
    private static func writeAll(_ bytes: [UInt8], to fd: Int32) {
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
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // EPIPE: the tool exited early
                }
            }
        }
    }
}
