import Foundation
import SwiftnetTestSupport
@testable import SwiftnetFirewall

/// Runs a host tool for the tests (iptables-save, ip, busybox): argument array, no shell.
/// Tests may use `ip`; the product never does.
struct HostCommand {
    typealias Output = CommandRunner.Output

    /// Through the product's own runner (no shell, pipes drained while the tool runs).
    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) -> Output {
        do {
            return try CommandRunner.run(arguments[0], Array(arguments.dropFirst()), input: input)
        } catch {
            return Output(status: -1, stdout: "", stderr: "\(error)")
        }
    }

    /// Runs and fails the calling test unless the command exits 0.
    @discardableResult
    static func must(_ arguments: [String], input: String? = nil) throws -> String {
        let output = run(arguments, input: input)
        guard output.status == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(output.status): \(output.stderr)")
        }
        return output.stdout
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static var isRoot: Bool { getuid() == 0 }

    static func hasTool(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// 6 random lowercase hex digits, for names no other run uses.
    static func uniqueHex() -> String { Shell.randomHex(6) }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
