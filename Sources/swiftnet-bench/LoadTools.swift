import ArgumentParser
import Foundation

/// The benchmark's neutral references, built from the C and Python sources shipped as the
/// target's `LoadTools` resource (or the folder `--tools` names): the load client
/// (`load_client.c`), the floor server (`floor_server.c`), the naive Python plugin
/// (`naive_plugin.py`), and the floors of the two libraries swiftnet's answer goes through:
/// libmicrohttpd answering a canned body (`mhd_floor_server.c`) and one SQLite commit as the
/// state store makes it (`sqlite_floor.c`). The C programs are compiled with `cc -O2 -pthread` into
/// `folder` on every run, so the reference is the same code on every machine.
struct LoadTools {
    let sources: String
    let client: String
    let floor: String
    let libraryFloor: String
    let commitFloor: String

    init(sources override: String?, folder: String) throws {
        guard let sources = override ?? Bundle.module.url(forResource: "LoadTools", withExtension: nil)?.path,
              FileManager.default.fileExists(atPath: sources + "/load_client.c")
        else { throw ValidationError("no LoadTools sources (load_client.c) found; pass --tools FOLDER") }
        self.sources = sources
        client = folder + "/swiftnet-load"
        floor = folder + "/swiftnet-floor"
        libraryFloor = folder + "/swiftnet-mhd-floor"
        commitFloor = folder + "/swiftnet-sqlite-floor"
        for (source, binary, libraries) in [("load_client.c", client, []), ("floor_server.c", floor, []),
                                            ("mhd_floor_server.c", libraryFloor, ["-lmicrohttpd"]),
                                            ("sqlite_floor.c", commitFloor, ["-lsqlite3"])] {
            let built = DockerRunBench.exec("/usr/bin/env", ["cc", "-O2", "-pthread", "-o", binary, sources + "/" + source] + libraries)
            guard built.status == 0 else { throw ValidationError("cc \(source) failed: \(built.output)") }
        }
    }

    /// Microseconds of one SQLite commit (an allocation or its release) with `pageSize`-byte
    /// pages, measured for `seconds` in a fresh database in `folder`.
    func commitMicroseconds(folder: String, pageSize: Int, seconds: Double) throws -> Double {
        let run = DockerRunBench.exec(commitFloor, [folder + "/commit-floor.db", String(seconds), String(pageSize)])
        guard run.status == 0, let field = run.output.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .first(where: { $0.hasPrefix("us_per_commit=") }), let value = Double(field.dropFirst("us_per_commit=".count))
        else { throw ValidationError("SQLite commit floor failed: \(run.output)") }
        return value
    }

    var pythonPlugin: String { sources + "/naive_plugin.py" }

    /// Runs the load client against `socket` and reads its summary line, with the CPU time the
    /// server (`serverPID`) spent while the client ran.
    func load(socket: String, pool: String, connections: Int, seconds: Double, warmup: Double, serverPID: Int32) throws -> LoadResult {
        let cpuBefore = CPUTime.of(process: serverPID)
        let run = DockerRunBench.exec(client, [socket, pool, String(connections), String(seconds), String(warmup)])
        let serverCPU = CPUTime.of(process: serverPID) - cpuBefore
        guard run.status == 0, let result = LoadResult(line: run.output, serverCPU: serverCPU) else {
            throw ValidationError("load client against \(socket) failed: \(run.output)")
        }
        return result
    }
}

/// One load client run: `pairs=… seconds=… rate=… p50_us=… p99_us=… max_us=… errors=… all_pairs=…`,
/// and the server's CPU time while it ran.
struct LoadResult {
    var rate: Double
    var p50: Double
    var p99: Double
    var max: Double
    /// Every pair answered while the client ran, the warm-up's included.
    var allPairs: Int
    /// Seconds of CPU the server used while the client ran (user and system, all its threads).
    var serverCPU: Double

    /// The server's CPU time per request, µs. It moves less than the rate with what else runs on
    /// the machine and with how the scheduler shares the cores between client and server.
    var serverCPUPerRequest: Double { allPairs > 0 ? serverCPU * 1e6 / Double(2 * allPairs) : 0 }

    init?(line: String, serverCPU: Double) {
        var fields: [String: String] = [:]
        for pair in line.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard let rate = fields["rate"].flatMap({ Double($0) }),
              let p50 = fields["p50_us"].flatMap({ Double($0) }), let p99 = fields["p99_us"].flatMap({ Double($0) }),
              let max = fields["max_us"].flatMap({ Double($0) }), let allPairs = fields["all_pairs"].flatMap({ Int($0) })
        else { return nil }
        (self.rate, self.p50, self.p99, self.max) = (rate, p50, p99, max)
        (self.allPairs, self.serverCPU) = (allPairs, serverCPU)
    }
}

/// A reference server (floor or Python plugin) run for one measurement.
final class ReferenceServer {
    private let process: Process
    let socket: String
    var pid: Int32 { process.processIdentifier }

    init(program: String, arguments: [String], socket: String) throws {
        self.socket = socket
        process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<5_000 {
            if FileManager.default.fileExists(atPath: socket), ReferenceServer.accepts(socket) { return }
            guard process.isRunning else { break }
            usleep(1_000)
        }
        stop()
        throw ValidationError("\(program) did not start serving \(socket)")
    }

    static func accepts(_ path: String) -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.prefix(buffer.count - 1).enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
