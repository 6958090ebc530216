import Foundation

/// Runs a host tool for the tests (iptables-save, ip, busybox): argument array, no shell.
/// Tests may use `ip`; the product never does.
struct HostCommand {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ arguments: [String], input: String? = nil) -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let out = Pipe(), err = Pipe(), stdin = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        do { try process.run() } catch { return Output(status: -1, stdout: "", stderr: "\(error)") }
        let errData = Reader(err.fileHandleForReading)
        if let input {
            stdin.fileHandleForWriting.write(Data(input.utf8))
            try? stdin.fileHandleForWriting.close()
        }
        let outData = (try? out.fileHandleForReading.readToEnd()) ?? Data()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.wait(), as: UTF8.self))
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

    /// Reads one pipe on its own thread, so a chatty stderr cannot block the process.
    final class Reader: @unchecked Sendable {
        private var data = Data()
        private let done = DispatchSemaphore(value: 0)
        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                data = (try? handle.readToEnd()) ?? Data()
                done.signal()
            }
        }
        func wait() -> Data {
            done.wait()
            return data
        }
    }

    static var isRoot: Bool { getuid() == 0 }

    static func hasTool(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }

    /// 6 random lowercase hex digits, for names no other run uses.
    static func uniqueHex() -> String {
        String(UInt32.random(in: 0...0xFF_FFFF), radix: 16).leftPadded(to: 6)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
