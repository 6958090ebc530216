import ArgumentParser
import Foundation
import SwiftnetAddress
import SwiftnetClient
import SwiftnetIPAM
import SwiftnetStore

/// Start-up of a full host: `allocations` addresses in one pool, and `endpoints` endpoints on
/// `networks` bridge networks with their kernel links, reconciliation included. Measures the
/// time from exec to the first answered request and the server's RSS then (VmRSS, and VmHWM:
/// the peak during start-up). The server runs in a network namespace of its own (root), so its
/// bridges, veths and rules go with the namespace.
struct StartupBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "startup",
                                                    abstract: "Start-up time and RSS with many allocations and endpoints (endpoints need root).")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Allocations in one pool (written straight to the state).")
    var allocations = 100_000

    @Option(help: "Bridge networks holding the endpoints.")
    var networks = 10

    @Option(help: "Endpoints, spread over the networks (made through the server; 0 without root).")
    var endpoints = 1_000

    @Option(help: "Start-ups to take the median of.")
    var startups = 5

    @Flag(help: "Keep the state folder and the namespace afterwards (to profile a start by hand); prints where they are.")
    var keep = false

    func run() throws {
        let binary = BenchServer.binary(server)
        let root = getuid() == 0
        let endpoints = root ? self.endpoints : 0
        let networks = root ? max(1, self.networks) : 0
        let folder = "/tmp/swn-bench-start-\(getpid())"
        let chainPrefix = "SWBS" + LifecycleBench.hex(4).uppercased()
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let namespace = root ? try BenchNamespace() : nil
        defer {
            if keep {
                print("kept: state \(folder)/state.db" + (namespace.map { ", namespace \($0.name), chain prefix \(chainPrefix)" } ?? ""))
            } else {
                namespace?.delete()
                try? FileManager.default.removeItem(atPath: folder)
            }
        }
        // nsenter joins the namespace and execs the server; `ip netns exec` also remounts /sys
        // for the namespace, which took 30-50 ms here: the launcher's cost, not swiftnet's
        // start-up (a real swiftnet starts in the host's namespace). What is left of the
        // launcher's own cost is measured below and printed.
        let launcher = namespace.map { ["/usr/bin/nsenter", "--net=/run/netns/\($0.name)"] } ?? []
        // Every server here is the same plugin started again: one chain prefix for all, so a
        // start finds the chains the previous one left, as a restart does. (Each server with a
        // prefix of its own would make every start build its chains anew beside the stale ones.)
        // (Without root the server runs in the host's namespace: BenchServer's own prefix, removed at stop.)
        let chains = root ? ["--chain-prefix", chainPrefix] : []
        let statePath = folder + "/state.db"

        // Allocations straight into the store, as the server would have committed them.
        do {
            let store = try StateStore(path: statePath)
            let service = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: try store.ulaGlobalID()),
                                          store: store, routes: NoRoutes())
            let pool = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.0.0.0/8"))
            try store.bulkInsertAllocations(poolID: pool.id, first: pool.prefix.network, count: allocations)
        }
        if endpoints > 0 {
            let running = try BenchServer(binary: binary, folder: folder, statePath: statePath,
                                          extraArguments: chains, launcher: launcher)
            defer { running.stop() }
            let client = try UnixHTTPClient(socketPath: running.socket)
            defer { client.close() }
            let plugin = BenchClient(client: client)
            for network in 0..<networks {
                let (networkID, pool, _) = try plugin.createBridgeNetwork(subnet: "172.\(16 + network / 8).\((network % 8) * 32).0/19")
                let count = endpoints / networks + (network < endpoints % networks ? 1 : 0)
                for _ in 0..<count { _ = try plugin.createEndpoint(networkID: networkID, poolID: pool) }
            }
        }

        var times: [Double] = [], rss: [Int] = [], peak: [Int] = []
        for _ in 0..<startups {
            let started = DispatchTime.now()
            let running = try BenchServer(binary: binary, folder: folder, statePath: statePath,
                                          extraArguments: chains, launcher: launcher)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6)
            let status = (try? String(contentsOfFile: "/proc/\(running.pid)/status", encoding: .utf8)) ?? ""
            rss.append(StartupBench.kilobytes("VmRSS", in: status))
            peak.append(StartupBench.kilobytes("VmHWM", in: status))
            running.stop()
        }
        // The same launch with a program that exits at once: starting a process from here,
        // through the launcher, and waiting for it, with none of swiftnet's own work.
        var launches: [Double] = []
        for _ in 0..<startups {
            let started = DispatchTime.now()
            _ = DockerRunBench.exec(launcher.first ?? "/bin/true", launcher.isEmpty ? [] : Array(launcher.dropFirst()) + ["/bin/true"])
            launches.append(Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e6)
        }
        func median<T: Comparable>(_ values: [T]) -> T { values.sorted()[values.count / 2] }
        print("swiftnet start-up benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, server \(binary)")
        print("state: \(allocations) allocations in one pool, \(endpoints) endpoints on \(networks) bridge networks" + (root ? "" : " (not root: no endpoints)"))
        print(String(format: "time to first answer: median %.1f ms of %d (all: %@); target ≤ 250 ms %@", median(times), startups,
                     times.map { String(format: "%.0f", $0) }.joined(separator: ", "), IPAMBench.verdict(median(times) <= 250)))
        print(String(format: "  of which starting a process that does nothing, the same way (%@): median %.1f ms", (launcher + ["/bin/true"]).joined(separator: " "), median(launches)))
        print(String(format: "RSS at first answer: %.1f MiB (peak during start-up %.1f MiB); target ≤ 64 MiB %@",
                     Double(median(rss)) / 1024, Double(median(peak)) / 1024, IPAMBench.verdict(median(peak) <= 64 * 1024)))
    }

    static func kilobytes(_ field: String, in status: String) -> Int {
        for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
