import Foundation
@testable import SwiftnetFirewall
import XCTest

/// The runner of the iptables tools, with harmless programs: it must give back every
/// descriptor it takes (the server runs it every 5 s for months), hand the tool exactly
/// stdin/stdout/stderr and a fixed environment, and never stall on full pipes.
final class CommandRunnerTests: XCTestCase {
    func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    func testRunsLeaveNoDescriptorBehind() throws {
        _ = try CommandRunner.run("/bin/cat", [], input: "warm-up\n")
        let before = openDescriptors()
        for round in 0..<40 {
            let output = try CommandRunner.run("/bin/cat", [], input: "line \(round)\n")
            XCTAssertEqual(output.stdout, "line \(round)\n")
            _ = try CommandRunner.run("/bin/true", [])
            _ = try? CommandRunner.run("/nonexistent/tool", [])
        }
        XCTAssertEqual(openDescriptors(), before, "descriptors left open by 120 runs")
    }

    func testTheToolGetsOnlyStandardDescriptorsAndAFixedEnvironment() throws {
        // Not close-on-exec, as a careless library might open one.
        let stray = open("/dev/null", O_RDONLY)
        XCTAssertGreaterThan(stray, 2)
        defer { close(stray) }
        let listing = try CommandRunner.check("/bin/sh", ["-c", "ls -1 /proc/$$/fd"])
        XCTAssertEqual(listing.stdout, "0\n1\n2\n")
        let environment = try CommandRunner.check("/usr/bin/env", [])
        XCTAssertEqual(environment.stdout, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n")
    }

    /// The server ignores SIGTERM (a dispatch source handles it) and blocks SIGPIPE while
    /// writing to a tool; neither may reach the tool.
    func testSignalsStartAtTheirDefaults() throws {
        let previous = signal(SIGTERM, SIG_IGN)
        defer { signal(SIGTERM, previous) }
        var blocked = sigset_t(), old = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGUSR1)
        pthread_sigmask(SIG_BLOCK, &blocked, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        let status = try CommandRunner.check("/bin/grep", ["-E", "^Sig(Blk|Ign)", "/proc/self/status"]).stdout
        var masks: [String: UInt64] = [:]
        for line in status.split(separator: "\n") {
            let parts = line.split(separator: "\t")
            masks[String(parts[0])] = UInt64(parts[1], radix: 16)
        }
        XCTAssertEqual(masks["SigBlk:"], 0, status)
        // Signals 1–31; glibc's posix_spawn leaves its two internal ones (32, 33) ignored,
        // and the tool's own glibc takes them over when it needs them.
        XCTAssertEqual(masks["SigIgn:"].map { $0 & 0x7FFF_FFFF }, 0, status)
    }

    /// More than a pipe holds, in all three directions at once.
    func testLargeInputAndOutputFlowTogether() throws {
        let input = String(repeating: "0123456789abcdef\n", count: 64 * 1024)  // 1.1 MB
        let output = try CommandRunner.check("/bin/sh", ["-c", "head -c 300000 /dev/zero | tr '\\0' x >&2; cat"], input: input)
        XCTAssertEqual(output.stdout.count, input.count)
        XCTAssertEqual(output.stdout, input)
        XCTAssertEqual(output.stderr.count, 300_000)
    }

    func testAToolKilledByASignalReports128PlusTheSignal() throws {
        let output = try CommandRunner.run("/bin/sh", ["-c", "kill -9 $$"])
        XCTAssertEqual(output.status, 137)
        XCTAssertTrue(output.stderr.contains("(killed by signal 9)"), output.stderr)
    }

    /// A tool that waits (for the xtables lock, say) would hold up every request behind it.
    /// A run past its limit is killed and reaped, and gives back its descriptors: while its
    /// input is still being written, and after it closed its output but went on running.
    func testAToolStillRunningAtItsTimeLimitIsKilled() throws {
        let before = openDescriptors()
        let started = ContinuousClock.now
        XCTAssertThrowsError(try CommandRunner.run("/bin/sleep", ["30"], input: String(repeating: "x", count: 1 << 20),
                                                   timeLimitSeconds: 1)) { error in
            XCTAssertEqual(error as? FirewallError, .timedOut(command: "sleep 30", seconds: 1))
        }
        let result = try ChildProcess.run(path: "/bin/sh", arguments: ["-c", "echo $$; exec sleep 30"],
                                          environment: [], input: nil, timeLimit: .seconds(1))
        XCTAssertLessThan(started.duration(to: .now), .seconds(10))
        XCTAssertTrue(result.timedOut)
        XCTAssertEqual(result.signal, SIGKILL)
        let pid = try XCTUnwrap(Int32(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        let signalled = kill(pid, 0), code = errno
        XCTAssertEqual(signalled, -1, "the killed tool is still there (not reaped)")
        XCTAssertEqual(code, ESRCH)
        let silent = try ChildProcess.run(path: "/bin/sh", arguments: ["-c", "exec >/dev/null 2>&1; sleep 30"],
                                          environment: [], input: nil, timeLimit: .seconds(1))
        XCTAssertTrue(silent.timedOut, "a tool that closed its output was waited for without a limit")
        XCTAssertEqual(silent.signal, SIGKILL)
        XCTAssertLessThan(started.duration(to: .now), .seconds(15))
        XCTAssertEqual(openDescriptors(), before, "descriptors left open by killed runs")
        // A tool that finishes within its limit is untouched, and so is one that exited while
        // something it started (here a 2 s sleep) still holds its output open.
        let quick = try CommandRunner.check("/bin/sh", ["-c", "sleep 0.2; echo done"], timeLimitSeconds: 5)
        XCTAssertEqual(quick.stdout, "done\n")
        let parent = try ChildProcess.run(path: "/bin/sh", arguments: ["-c", "echo started; sleep 2 & exit 3"],
                                          environment: [], input: nil, timeLimit: .seconds(1))
        XCTAssertFalse(parent.timedOut)
        XCTAssertEqual(parent.exitCode, 3)
        XCTAssertEqual(String(decoding: parent.stdout, as: UTF8.self), "started\n")
        XCTAssertEqual(openDescriptors(), before, "descriptors left open")
    }

    func testAMissingToolIsALaunchFailure() {
        XCTAssertThrowsError(try CommandRunner.run("/nonexistent/tool", ["x"])) { error in
            guard case .launchFailed(let command, let reason)? = error as? FirewallError else { return XCTFail("\(error)") }
            XCTAssertEqual(command, "tool x")
            XCTAssertEqual(reason, "posix_spawn: No such file or directory")
        }
    }
}
