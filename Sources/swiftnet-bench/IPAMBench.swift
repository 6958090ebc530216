import ArgumentParser
import Foundation
import SwiftnetAddress
import SwiftnetClient
import SwiftnetIPAM
import SwiftnetStore

/// RequestAddress + ReleaseAddress pairs over keep-alive connections, serial and parallel, and
/// start-up time on a state with many allocations. Baselines in the same run: `/Plugin.Activate`
/// round trips (the transport's floor) and start-up on an empty state.
struct IPAMBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ipam",
                                                    abstract: "IPAM request throughput, latency and start-up time.")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Request/release pairs per measurement.")
    var pairs = 30_000

    @Option(help: "Parallel clients for the parallel measurement.")
    var clients = 8

    @Option(help: "Allocations in the state for the start-up measurement.")
    var allocations = 100_000

    @Option(help: "Start-ups to take the median of.")
    var startups = 5

    func run() throws {
        let binary = server ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("swiftnet").path
        let folder = "/tmp/swn-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }

        print("swiftnet IPAM benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, server \(binary)")
        let running = try BenchServer(binary: binary, folder: folder + "/run")
        defer { running.stop() }
        let setup = try UnixHTTPClient(socketPath: running.socket)
        let pool = try IPAMBench.poolID(setup.post("/IpamDriver.RequestPool",
                                         json: #"{"AddressSpace":"LocalDefault","Pool":"10.0.0.0/8","SubPool":"","Options":null,"V6":false}"#))
        setup.close()

        // Warm up connections, caches and the allocator.
        _ = try measure(socket: running.socket, clients: 1, pairs: 2_000, pool: pool, activateOnly: false)

        let floor = try measure(socket: running.socket, clients: 1, pairs: pairs, pool: pool, activateOnly: true)
        let serial = try measure(socket: running.socket, clients: 1, pairs: pairs, pool: pool, activateOnly: false)
        let parallel = try measure(socket: running.socket, clients: clients, pairs: pairs, pool: pool, activateOnly: false)
        running.stop()

        print("")
        print(row("measurement", "pairs/s", "p50 µs", "p99 µs", "max µs"))
        print(row("Activate x2, 1 client (floor)", floor.rate, floor.p50, floor.p99, floor.max))
        print(row("Request+Release, 1 client", serial.rate, serial.p50, serial.p99, serial.max))
        print(row("Request+Release, \(clients) clients", parallel.rate, parallel.p50, parallel.p99, parallel.max))
        print(String(format: "serial pairs cost %.2fx a bare round-trip pair; %d clients give %.2fx the serial rate",
                     floor.rate / serial.rate, clients, parallel.rate / serial.rate))
        print("(latency is per request, one request = half a pair)")

        let empty = try startupMedian(binary: binary, folder: folder + "/empty", populate: 0)
        let full = try startupMedian(binary: binary, folder: folder + "/full", populate: allocations)
        print("")
        print(String(format: "start-up to first answer: empty state %.1f ms, %d allocations %.1f ms (median of %d; +%.1f ms)",
                     empty, allocations, full, startups, full - empty))
    }

    struct Result {
        var rate: Double
        var p50: Double
        var p99: Double
        var max: Double
    }

    /// Each client owns one keep-alive connection and does `pairs / clients` pairs.
    func measure(socket: String, clients: Int, pairs: Int, pool: String, activateOnly: Bool) throws -> Result {
        let perClient = pairs / clients
        let latencies = LatencySink(capacity: perClient * clients * 2)
        let failures = LatencySink(capacity: 0)
        let request = Array(#"{"PoolID":"\#(pool)","Address":"","Options":null}"#.utf8)
        let started = DispatchTime.now()
        DispatchQueue.concurrentPerform(iterations: clients) { _ in
            guard let client = try? UnixHTTPClient(socketPath: socket) else { return failures.fail() }
            defer { client.close() }
            var local: [UInt64] = []
            local.reserveCapacity(perClient * 2)
            for _ in 0..<perClient {
                var t0 = DispatchTime.now().uptimeNanoseconds
                let first: HTTPClientResponse
                if activateOnly {
                    guard let answer = try? client.post("/Plugin.Activate", body: []) else { return failures.fail() }
                    first = answer
                } else {
                    guard let answer = try? client.post("/IpamDriver.RequestAddress", body: request) else { return failures.fail() }
                    first = answer
                }
                var t1 = DispatchTime.now().uptimeNanoseconds
                local.append(t1 - t0)
                guard first.status == 200 else { return failures.fail() }
                t0 = t1
                if activateOnly {
                    guard (try? client.post("/Plugin.Activate", body: []))?.status == 200 else { return failures.fail() }
                } else {
                    let address = IPAMBench.address(in: first.body)
                    let release = Array(#"{"PoolID":"\#(pool)","Address":"\#(address)"}"#.utf8)
                    guard (try? client.post("/IpamDriver.ReleaseAddress", body: release))?.status == 200 else {
                        return failures.fail()
                    }
                }
                t1 = DispatchTime.now().uptimeNanoseconds
                local.append(t1 - t0)
            }
            latencies.add(local)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        if failures.failures > 0 { throw ValidationError("\(failures.failures) clients failed") }
        let sorted = latencies.values.sorted()
        func percentile(_ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000 }
        return Result(rate: Double(perClient * clients) / seconds, p50: percentile(0.5), p99: percentile(0.99),
                      max: Double(sorted.last ?? 0) / 1000)
    }

    /// Time from exec to the first answered request, median of several starts.
    func startupMedian(binary: String, folder: String, populate count: Int) throws -> Double {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let statePath = folder + "/state.db"
        if count > 0 { try populateState(path: statePath, count: count) }
        var times: [Double] = []
        for _ in 0..<startups {
            let started = DispatchTime.now()
            let server = try BenchServer(binary: binary, folder: folder, statePath: statePath)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6)
            server.stop()
        }
        return times.sorted()[times.count / 2]
    }

    /// Writes `count` allocations the way the server would, through the real store, in one
    /// transaction per 10,000 so populating does not dominate the run.
    func populateState(path: String, count: Int) throws {
        let store = try StateStore(path: path)
        let service = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: try store.ulaGlobalID()),
                                      store: store, routes: NoRoutes())
        let pool = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.0.0.0/8"))
        try store.bulkInsertAllocations(poolID: pool.id, first: pool.prefix.network, count: count)
    }

    static func poolID(_ response: HTTPClientResponse) throws -> String {
        guard response.status == 200,
              let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let id = object["PoolID"] as? String
        else { throw ValidationError("RequestPool failed: \(response.text)") }
        return id
    }

    /// The address of a `{"Address":"10.0.0.5/8",...}` answer, without a JSON parser in the timed loop.
    static func address(in body: [UInt8]) -> String {
        let text = String(decoding: body, as: UTF8.self)
        guard let start = text.range(of: #""Address":""#)?.upperBound,
              let slash = text[start...].firstIndex(of: "/") else { return "" }
        return String(text[start..<slash])
    }

    func row(_ name: String, _ rate: Any, _ p50: Any, _ p99: Any, _ max: Any) -> String {
        func cell(_ value: Any) -> String {
            let text = (value as? Double).map { String(format: "%.0f", $0) } ?? "\(value)"
            return String(repeating: " ", count: Swift.max(0, 10 - text.count)) + text
        }
        return name.padding(toLength: 34, withPad: " ", startingAt: 0) + cell(rate) + cell(p50) + cell(p99) + cell(max)
    }
}

struct NoRoutes: HostRouteSource {
    func routes(family: IPFamily) throws -> [HostRoute] { [] }
}

/// Collects latencies from several threads.
final class LatencySink: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [UInt64] = []
    private(set) var failures = 0

    init(capacity: Int) { values.reserveCapacity(capacity) }
    func add(_ batch: [UInt64]) { lock.withLock { values.append(contentsOf: batch) } }
    func fail() { lock.withLock { failures += 1 } }
}
