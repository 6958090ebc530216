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

    /// The whole environment of a tool run.
    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// How long one tool run may take before it is killed. The largest batch measured (the
    /// rules of a 10,000-port range) takes under a second, so this is room for a slow host,
    /// not for a tool that waits: every request behind this one would wait with it. (With
    /// the legacy backend, `-w` without a number waits for the xtables lock as long as
    /// another program holds it; iptables-nft takes `-w` and ignores it.)
    static let timeLimitSeconds = 30

    /// Runs the tool and returns its status and output, whatever the status. A tool killed by
    /// a signal reports 128 + the signal, as a shell would; one killed at its time limit
    /// throws `timedOut`.
    static func run(_ path: String, _ arguments: [String], input: String? = nil,
                    timeLimitSeconds: Int = timeLimitSeconds) throws(FirewallError) -> Output {
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run(path: path, arguments: arguments, environment: environment,
                                          input: input.map { Array($0.utf8) }, timeLimit: .seconds(timeLimitSeconds))
        } catch {
            throw .launchFailed(command: describe(path, arguments), reason: error.description)
        }
        guard !result.timedOut else { throw .timedOut(command: describe(path, arguments), seconds: timeLimitSeconds) }
        var errText = String(decoding: result.stderr, as: UTF8.self)
        var status = result.exitCode ?? 0
        if let signal = result.signal {
            errText += "\n(killed by signal \(signal))"
            status = 128 + signal
        }
        return Output(status: status, stdout: String(decoding: result.stdout, as: UTF8.self), stderr: errText)
    }

    /// Runs the tool and throws, with its stderr, unless it exits 0.
    @discardableResult
    static func check(_ path: String, _ arguments: [String], input: String? = nil,
                      timeLimitSeconds: Int = timeLimitSeconds) throws(FirewallError) -> Output {
        let output = try run(path, arguments, input: input, timeLimitSeconds: timeLimitSeconds)
        guard output.status == 0 else {
            throw .commandFailed(command: describe(path, arguments), status: output.status, stderr: output.stderr)
        }
        return output
    }

    static func describe(_ path: String, _ arguments: [String]) -> String {
        ([URL(fileURLWithPath: path).lastPathComponent] + arguments).joined(separator: " ")
    }
}
