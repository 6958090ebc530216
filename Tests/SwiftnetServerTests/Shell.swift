import Foundation

/// Runs a program with an argument array (no shell), bounded in time, for tests that play
/// dockerd's part in the kernel (moving veths into namespaces) or drive test hosts.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
        var error: String
        var succeeded: Bool { status == 0 }
        var both: String { "status \(status)\nstdout: \(output)\nstderr: \(error)" }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 20) -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return Result(status: -1, output: "", error: "\(error)") }
        // Read while it runs so a full pipe cannot block it.
        let collected = OutputCollector()
        let group = DispatchGroup()
        for (pipe, isError) in [(output, false), (error, true)] {
            group.enter()
            DispatchQueue.global().async {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(String(decoding: data, as: UTF8.self), isError: isError)
                group.leave()
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        _ = group.wait(timeout: .now() + 5)
        return Result(status: process.terminationStatus, output: collected.output, error: collected.error)
    }

    @discardableResult
    static func ip(_ arguments: String...) -> Result { run("/usr/sbin/ip", arguments) }

    /// `ip netns exec NS PROGRAM ARGS…`
    @discardableResult
    static func inNamespace(_ namespace: String, _ arguments: [String], timeout: Double = 20) -> Result {
        run("/usr/sbin/ip", ["netns", "exec", namespace] + arguments, timeout: timeout)
    }

    static func randomHex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }

    static func linkNames() -> [String] {
        ip("-o", "link", "show").output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2)
            guard parts.count >= 2 else { return nil }
            return String(parts[1].trimmingCharacters(in: .whitespaces).split(separator: "@")[0])
        }
    }
}

private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""
    func set(_ text: String, isError: Bool) { lock.withLock { if isError { err = text } else { out = text } } }
    var output: String { lock.withLock { out } }
    var error: String { lock.withLock { err } }
}
