import ArgumentParser
import Foundation
import SwiftnetAddress
import SwiftnetClient
import SwiftnetIPAM

/// Cost of automatic pool choice as pools accumulate: `count` automatic IPv6 RequestPools (all
/// cut from this host's one ULA /48, the case where every new pool lies past all the others),
/// timed one by one, in the allocator alone and over the socket of a running server (which
/// adds the synced commit and the host-route read of each call). Prints RequestPool #count
/// against #10, each the median of the 11 calls around it.
struct PoolBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pools",
                                                    abstract: "RequestPool cost as automatic pools accumulate (#N vs #10).")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Automatic pools to request.")
    var count = 4_000

    func run() throws {
        guard count >= 30 else { throw ValidationError("--count must be at least 30") }
        let binary = BenchServer.binary(server)

        var allocator = IPAMAllocator(configuration: .dockerDefaults(ulaGlobalID: 0x12_3456_789a))
        let planned = try PoolBench.timings(count) {
            let record = try allocator.planRequestPool(.init(addressSpace: "LocalDefault", v6: true), hostRoutes: { [] })
            allocator.apply(.createPool(record))
        }

        let folder = "/tmp/swn-bench-pools-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let running = try BenchServer(binary: binary, folder: folder)
        defer { running.stop() }
        let client = try UnixHTTPClient(socketPath: running.socket)
        defer { client.close() }
        let served = try PoolBench.timings(count) {
            let response = try client.post("/IpamDriver.RequestPool", json: #"{"AddressSpace":"LocalDefault","Pool":"","SubPool":"","Options":null,"V6":true}"#)
            guard response.status == 200 else { throw ValidationError("RequestPool: \(response.status) \(response.text)") }
        }

        print("swiftnet pool-choice benchmark — \(count) automatic IPv6 pools from one /48")
        for (name, samples) in [("allocator alone (plan + apply)", planned), ("server, over the socket", served)] {
            let early = PoolBench.median(samples, around: 10), late = PoolBench.median(samples, around: count)
            print(String(format: "%@: RequestPool #10 %.1f µs, #%d %.1f µs, ratio %.2f (target ≤ 2) %@",
                         name, early, count, late, late / early, IPAMBench.verdict(late / early <= 2)))
        }
    }

    /// Microseconds of each call, in order.
    static func timings(_ count: Int, _ body: () throws -> Void) throws -> [Double] {
        var samples: [Double] = []
        samples.reserveCapacity(count)
        for _ in 0..<count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1000)
        }
        return samples
    }

    /// Median of the calls numbered n-5...n+5 (1-based), clipped to the run.
    static func median(_ samples: [Double], around n: Int) -> Double {
        let upper = min(samples.count, n + 5), lower = max(1, upper - 10)
        let window = samples[(lower - 1)..<upper].sorted()
        return window[window.count / 2]
    }
}
