import Foundation

/// The tests' one way to run a program: an argument array (no shell), output in temporary
/// files (no pipe can fill up and block it), killed after `timeout` seconds. Tests use it to
/// play dockerd's part in the kernel (moving veths into namespaces), to drive test hosts and
/// dockerd itself; the product never runs `ip`.
package enum Shell {
    package struct Result: Sendable {
        package var status: Int32
        package var output: String
        package var error: String
        package var succeeded: Bool { status == 0 }
        package var both: String { "status \(status)\nstdout: \(output)\nstderr: \(error)" }

        package init(status: Int32, output: String, error: String) {
            self.status = status
            self.output = output
            self.error = error
        }
    }

    /// A command that did not do what the test needed.
    package struct Failure: Error, CustomStringConvertible {
        package var description: String
        package init(description: String) { self.description = description }
    }

    package static let ipTool = "/usr/sbin/ip"

    @discardableResult
    package static func run(_ executable: String, _ arguments: [String], timeout: Double = 30) -> Result {
        let stem = NSTemporaryDirectory() + "swt-cmd-\(UUID().uuidString)"
        let outPath = stem + ".out", errPath = stem + ".err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        guard let out = FileHandle(forWritingAtPath: outPath), let err = FileHandle(forWritingAtPath: errPath) else {
            return Result(status: -1, output: "", error: "cannot create \(stem).*")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            try? out.close()
            try? err.close()
            return Result(status: -1, output: "", error: "cannot run \(executable): \(error)")
        }
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(5_000)
        }
        process.waitUntilExit()
        try? out.close()
        try? err.close()
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        var stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        if timedOut { stderr += "\n[killed after \(timeout) s: \(executable) \(arguments.joined(separator: " "))]" }
        return Result(status: timedOut ? -9 : process.terminationStatus, output: stdout, error: stderr)
    }

    @discardableResult
    package static func ip(_ arguments: String...) -> Result { run(ipTool, arguments) }

    /// `ip netns exec NS PROGRAM ARGS…`
    @discardableResult
    package static func inNamespace(_ namespace: String, _ arguments: [String], timeout: Double = 30) -> Result {
        run(ipTool, ["netns", "exec", namespace] + arguments, timeout: timeout)
    }

    /// Random lowercase hex digits, for names (links, namespaces, chains) no other run uses.
    package static func randomHex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }

    /// The links of the current network namespace.
    package static func linkNames() -> [String] {
        ip("-o", "link", "show").output.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2)
            guard parts.count >= 2 else { return nil }
            return String(parts[1].trimmingCharacters(in: .whitespaces).split(separator: "@")[0])
        }
    }

    /// Kernel names swiftnet gives its links (bridges, host and container veth ends).
    package static func isSwiftnetLink(_ name: String) -> Bool {
        name.hasPrefix("swn-") || name.hasPrefix("swv") || name.hasPrefix("swc")
    }
}
