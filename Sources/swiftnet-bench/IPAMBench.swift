import ArgumentParser
import Foundation
import SwiftnetAddress
import SwiftnetClient
import SwiftnetIPAM
import SwiftnetStore

/// RequestAddress + ReleaseAddress pairs through the lean C load client (one write per
/// request, keep-alive), 1 connection serial and N connections, against three servers in the
/// same run: the C floor server (a canned answer, no work: the transport floor), the naive
/// Python plugin (the baseline of a plain server that does the work), and swiftnet. Ratios are
/// to the floor; latencies are per request.
struct IPAMBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ipam",
                                                    abstract: "IPAM request throughput and latency against the C floor and a Python baseline.")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Seconds each measurement runs (after a warm-up of a fifth of it).")
    var seconds = 3.0

    @Option(help: "Connections for the parallel measurement.")
    var connections = 8

    @Option(help: "Folder with load_client.c, floor_server.c, naive_plugin.py (default: the bench's LoadTools resource).")
    var tools: String?

    @Option(help: "Python for the naive plugin baseline; 'none' skips it.")
    var python = "python3"

    @Option(help: "swiftnet's --log-level during the measurement (its default is info: one line per call).")
    var logLevel = "info"

    func run() throws {
        let binary = BenchServer.binary(server)
        let folder = "/tmp/swn-bench-\(getpid())"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let tools = try LoadTools(sources: self.tools, folder: folder)
        let warmup = max(0.05, seconds / 5)
        func measure(_ socket: String, _ pool: String, _ serverPID: Int32) throws -> (serial: LoadResult, parallel: LoadResult) {
            (try tools.load(socket: socket, pool: pool, connections: 1, seconds: seconds, warmup: warmup, serverPID: serverPID),
             try tools.load(socket: socket, pool: pool, connections: connections, seconds: seconds, warmup: warmup, serverPID: serverPID))
        }
        let poolRequest = #"{"AddressSpace":"LocalDefault","Pool":"10.0.0.0/8","SubPool":"","Options":null,"V6":false}"#

        print("swiftnet IPAM benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, server \(binary)")
        print("client: C, one write per request, keep-alive, \(String(format: "%.1f", seconds)) s per measurement")

        let floorServer = try ReferenceServer(program: tools.floor, arguments: [folder + "/floor.sock"], socket: folder + "/floor.sock")
        let floor = try measure(floorServer.socket, "LocalDefault/10.0.0.0/8", floorServer.pid)
        floorServer.stop()

        // The floors of the two libraries every answer of swiftnet goes through.
        let libraryServer = try ReferenceServer(program: tools.libraryFloor, arguments: [folder + "/mhd.sock", "4"], socket: folder + "/mhd.sock")
        let library = try measure(libraryServer.socket, "LocalDefault/10.0.0.0/8", libraryServer.pid)
        libraryServer.stop()
        let commit = (small: try tools.commitMicroseconds(folder: folder, pageSize: StateStore.pageSize, seconds: seconds / 2),
                      large: try tools.commitMicroseconds(folder: folder, pageSize: 4096, seconds: seconds / 2))

        var python: (serial: LoadResult, parallel: LoadResult)?
        if self.python != "none" {
            let socket = folder + "/python.sock"
            if let plugin = try? ReferenceServer(program: "/usr/bin/env", arguments: [self.python, tools.pythonPlugin, socket, folder + "/python.journal"],
                                                 socket: socket) {
                defer { plugin.stop() }
                let client = try UnixHTTPClient(socketPath: socket)
                let pool = try IPAMBench.poolID(client.post("/IpamDriver.RequestPool", json: poolRequest))
                client.close()
                python = try measure(socket, pool, plugin.pid)
            } else {
                print("(no Python baseline: \(self.python) did not start the naive plugin)")
            }
        }

        let running = try BenchServer(binary: binary, folder: folder + "/swiftnet", logLevel: logLevel)
        let setup = try UnixHTTPClient(socketPath: running.socket)
        let pool = try IPAMBench.poolID(setup.post("/IpamDriver.RequestPool", json: poolRequest))
        setup.close()
        let swiftnet = try measure(running.socket, pool, running.pid)
        running.stop()

        print("")
        print(IPAMBench.row("server", "pairs/s", "÷ floor", "p50 µs", "p99 µs", "max µs", "CPU µs/req"))
        func rows(_ name: String, _ result: (serial: LoadResult, parallel: LoadResult)) {
            for (label, value, reference) in [("1 connection", result.serial, floor.serial),
                                              ("\(connections) connections", result.parallel, floor.parallel)] {
                print(IPAMBench.row("\(name), \(label)", String(format: "%.0f", value.rate),
                                    String(format: "%.0f %%", 100 * value.rate / reference.rate),
                                    String(format: "%.0f", value.p50), String(format: "%.0f", value.p99),
                                    String(format: "%.0f", value.max), String(format: "%.1f", value.serverCPUPerRequest)))
            }
        }
        rows("floor (C, canned answer)", floor)
        rows("libmicrohttpd (canned answer)", library)
        if let python { rows("naive Python plugin", python) }
        rows("swiftnet", swiftnet)
        print("")
        // One connection: one request in flight, so the time per request adds up by layer.
        func perRequest(_ result: LoadResult) -> Double { 1e6 / (2 * result.rate) }
        let budget = perRequest(floor.serial) / 0.85
        print("where one request's time goes, 1 connection (µs per request, from the rates above):")
        print(String(format: "  transport floor %.1f; libmicrohttpd adds %.1f; one SQLite commit %.1f (%d-byte pages; %.1f with 4096); swiftnet's other work %.1f; total %.1f",
                     perRequest(floor.serial), perRequest(library.serial) - perRequest(floor.serial), commit.small, StateStore.pageSize,
                     commit.large, perRequest(swiftnet.serial) - perRequest(library.serial) - commit.small, perRequest(swiftnet.serial)))
        print(String(format: "  85 %% of the floor allows %.1f µs per request; libmicrohttpd and one commit alone take %.1f",
                     budget, perRequest(library.serial) + commit.small))
        // With many connections the cores are the limit, so CPU per request decides the rate; the
        // table has each server's, this is swiftnet's above the library it answers through.
        print(String(format: "swiftnet's own work, server CPU per request above libmicrohttpd's (µs): %.1f with 1 connection, %.1f with %d",
                     swiftnet.serial.serverCPUPerRequest - library.serial.serverCPUPerRequest,
                     swiftnet.parallel.serverCPUPerRequest - library.parallel.serverCPUPerRequest, connections))
        print("")
        print(String(format: "targets: serial ≥ 85 %% of floor: %.0f %% %@; %d connections ≥ 40 %% of floor: %.0f %% %@; p99 ≤ 1000 µs at %d connections: %.0f µs %@",
                     100 * swiftnet.serial.rate / floor.serial.rate, IPAMBench.verdict(swiftnet.serial.rate / floor.serial.rate >= 0.85),
                     connections, 100 * swiftnet.parallel.rate / floor.parallel.rate,
                     IPAMBench.verdict(swiftnet.parallel.rate / floor.parallel.rate >= 0.40),
                     connections, swiftnet.parallel.p99, IPAMBench.verdict(swiftnet.parallel.p99 <= 1000)))
        if let python {
            print(String(format: "swiftnet ÷ naive Python: %.2fx serial, %.2fx with %d connections",
                         swiftnet.serial.rate / python.serial.rate, swiftnet.parallel.rate / python.parallel.rate, connections))
        }
    }

    static func verdict(_ met: Bool) -> String { met ? "(met)" : "(NOT met)" }

    static func poolID(_ response: HTTPClientResponse) throws -> String {
        guard response.status == 200,
              let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let id = object["PoolID"] as? String
        else { throw ValidationError("RequestPool failed: \(response.text)") }
        return id
    }

    static func row(_ cells: String...) -> String {
        cells[0].padding(toLength: 46, withPad: " ", startingAt: 0)
            + cells.dropFirst().map { String(repeating: " ", count: max(0, 11 - $0.count)) + $0 }.joined()
    }
}

struct NoRoutes: HostRouteSource {
    func routes(family: IPFamily) throws -> [HostRoute] { [] }
}
