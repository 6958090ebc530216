import ArgumentParser
import Foundation

/// CreateNetwork and DeleteNetwork as bridge networks accumulate, over the real socket with
/// the real firewall and bridges, in a throw-away network namespace: `count` networks created
/// one by one, CreateNetwork #count against #10 (each the median of the 11 calls around it),
/// and DeleteNetwork of a network made for it with `count` networks held against with 10 held;
/// and the slowest of the last 100 CreateNetworks. Twice: with no port published on the host,
/// and with one (which adds two rules per network to its branch of the DNATED chain).
struct NetworksBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "networks",
                                                    abstract: "CreateNetwork and DeleteNetwork cost as networks accumulate (needs root).")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Networks to create (at most 4000).")
    var count = 500

    func run() throws {
        guard getuid() == 0 else { throw ValidationError("networks needs root: it makes a namespace, bridges and rules") }
        guard (30...4_000).contains(count) else { throw ValidationError("--count: 30…4000") }
        let binary = BenchServer.binary(server)
        print("swiftnet networks benchmark — \(count) bridge networks, one namespace per pass")
        for publishing in [false, true] {
            let result = try pass(binary: binary, publishing: publishing)
            let label = publishing ? "with a published port" : "no published port"
            print(String(format: "%@: CreateNetwork #10 %.2f ms, #%d %.2f ms, ratio %.2f", label, result.createEarly, count,
                         result.createLate, result.createLate / result.createEarly))
            print(String(format: "%@: slowest of the last 100 CreateNetwork calls %.2f ms", label, result.createSlowest))
            print(String(format: "%@: DeleteNetwork with 10 held %.2f ms, with %d held %.2f ms, ratio %.2f", label, result.deleteEarly,
                         count, result.deleteLate, result.deleteLate / result.deleteEarly))
        }
    }

    struct Result {
        var createEarly: Double, createLate: Double
        /// The slowest of the last 100 CreateNetworks: what one may wait for the firewall guard
        /// every 5 s (its comparison, or a read and restore under the lock when it found drift
        /// or left a chain out 12 rounds; the medians leave that out).
        var createSlowest: Double
        var deleteEarly: Double, deleteLate: Double
    }

    private func pass(binary: String, publishing: Bool) throws -> Result {
        // No network is deleted one by one but those timed: the namespace takes the rest.
        try BenchNamespace.serving(binary: binary, name: "networks") { plugin, _ in try measure(plugin, publishing: publishing) }
    }

    private func measure(_ plugin: BenchClient, publishing: Bool) throws -> Result {
        var made = 0
        /// A network on the next 10.(200+)/24; its id, and the milliseconds CreateNetwork took.
        func create() throws -> (id: String, milliseconds: Double) {
            made += 1
            let network = try plugin.createBridgeNetwork(subnet: "10.\(200 + (made - 1) / 256).\((made - 1) % 256).0/24")
            return (network.networkID, network.milliseconds)
        }
        /// Milliseconds of DeleteNetwork, the median of 11 networks each made and deleted.
        func deleteCost() throws -> Double {
            var samples: [Double] = []
            for _ in 0..<11 {
                let id = try create().id
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try plugin.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(id)"}"#)
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            return samples.sorted()[5]
        }

        var creates: [Double] = []
        let first = try create()
        creates.append(first.milliseconds)
        if publishing {
            let (network, pool, _) = try plugin.createBridgeNetwork(subnet: "10.199.0.0/24")
            let endpoint = try plugin.createEndpoint(networkID: network, poolID: pool).endpointID
            _ = try plugin.call("/NetworkDriver.ProgramExternalConnectivity",
                                #"{"NetworkID":"\#(network)","EndpointID":"\#(endpoint)","Options":{"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]}}"#)
        }
        while creates.count < 9 { creates.append(try create().milliseconds) }
        let deleteEarly = try deleteCost()  // 10 held (9, and the one deleted)
        while creates.count < count { creates.append(try create().milliseconds) }
        let deleteLate = try deleteCost()
        return Result(createEarly: PoolBench.median(creates, around: 10), createLate: PoolBench.median(creates, around: count),
                      createSlowest: creates.suffix(100).max() ?? 0, deleteEarly: deleteEarly, deleteLate: deleteLate)
    }
}
