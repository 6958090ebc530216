import Foundation
import SwiftnetAddress
import SwiftnetKernel

/// Throw-away network namespaces for the multi-host dataplane test, all named
/// `swtest-mh<role>-<tag>` and deleted by `deleteAll()` (tearDown), which takes their links along.
final class NamespaceHosts: @unchecked Sendable {
    let tag = String(UInt32.random(in: 0...UInt32.max), radix: 16)
    private(set) var names: [String] = []

    struct CommandFailed: Error, CustomStringConvertible {
        let description: String
    }

    func add(_ role: String) throws -> String {
        let name = "swtest-mh\(role)-\(tag)"
        names.append(name)
        try Self.sh("ip", "netns", "add", name)
        try Self.sh("ip", "-n", name, "link", "set", "lo", "up")
        return name
    }

    func deleteAll() {
        for name in names.reversed() { _ = try? Self.run(["ip", "netns", "delete", name]) }
        names = []
    }

    /// Test scaffolding plays the network's and Docker's part with plain `ip`.
    static func sh(_ arguments: String...) throws {
        let result = try run(arguments)
        guard result.status == 0 else { throw CommandFailed(description: "\(arguments.joined(separator: " ")): \(result.output)") }
    }

    @discardableResult
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func ping(from namespace: String, _ address: IPAddress) -> Bool {
        let ping = FileManager.default.isExecutableFile(atPath: "/usr/bin/ping") ? ["/usr/bin/ping"] : ["busybox", "ping"]
        return (try? run(["ip", "netns", "exec", namespace] + ping + ["-c", "1", "-W", "1", address.description]))?.status == 0
    }

    /// glibc declares setns only under _GNU_SOURCE, which Swift's Glibc module leaves out.
    nonisolated(unsafe) static let setns = unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "setns"),
                                                         to: (@convention(c) (Int32, Int32) -> Int32).self)

    /// Runs `body` with a LinkManager on a thread of its own inside `namespace` (netlink
    /// sockets belong to the namespace of the thread that opens them).
    static func withLinks<T: Sendable>(in namespace: String, _ body: @escaping @Sendable (LinkManager) throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<T, any Error> = .failure(CommandFailed(description: "not run"))
        let thread = Thread {
            defer { done.signal() }
            let fd = open("/var/run/netns/" + namespace, O_RDONLY | O_CLOEXEC)
            guard fd >= 0, setns(fd, 0x4000_0000) == 0 else {
                outcome = .failure(CommandFailed(description: "setns \(namespace): errno \(errno)"))
                if fd >= 0 { close(fd) }
                return
            }
            close(fd)
            outcome = Result { try body(try LinkManager()) }
        }
        thread.start()
        done.wait()
        return try outcome.get()
    }
}
