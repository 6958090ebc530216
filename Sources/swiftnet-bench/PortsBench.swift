import ArgumentParser
import Foundation

/// Publishing ports over the real socket, with the real firewall, in a throw-away network
/// namespace: N `-p CONTAINERPORT` (any host port) bindings on one endpoint, as time per
/// binding at a small and a large N (flat is the target), and one `-p A-B:A-B` range of
/// `--range` ports (dockerd sends one binding per port).
struct PortsBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ports",
                                                    abstract: "Host-port choice and publishing cost (needs root).")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Bindings of the small measurement.")
    var small = 100

    @Option(help: "Bindings of the large measurement.")
    var large = 3_000

    @Option(help: "Ports of the published range (20000-…).")
    var range = 10_000

    @Option(help: "Endpoints publishing a port before the first start measurement.")
    var fewEndpoints = 10

    @Option(help: "Endpoints publishing a port before the second start measurement.")
    var manyEndpoints = 1_000

    @Option(help: "Container starts measured at each size.")
    var starts = 20

    func run() throws {
        guard getuid() == 0 else { throw ValidationError("ports needs root: it makes a namespace, a bridge and rules") }
        guard (1...20_000).contains(small), (1...20_000).contains(large), (1...40_000).contains(range),
              (0...1_000).contains(fewEndpoints), (fewEndpoints...1_000).contains(manyEndpoints), (1...1_000).contains(starts) else {
            throw ValidationError("--small and --large: 1…20000; --range: 1…40000; --few-endpoints ≤ --many-endpoints ≤ 1000; --starts 1…1000")
        }
        try BenchNamespace.serving(binary: BenchServer.binary(server), name: "ports") { plugin, _ in try measure(plugin) }
    }

    private func measure(_ plugin: BenchClient) throws {
        let call = plugin.call
        let (networkID, poolID, _) = try plugin.createBridgeNetwork(subnet: "10.254.0.0/16")

        /// Seconds ProgramExternalConnectivity takes for `bindings` on a fresh endpoint.
        func publish(_ bindings: [(host: Int, container: Int)]) throws -> Double {
            let (endpointID, address) = try plugin.createEndpoint(networkID: networkID, poolID: poolID)
            let map = bindings.map { #"{"Proto":6,"IP":"","Port":\#($0.container),"HostIP":"","HostPort":\#($0.host),"HostPortEnd":\#($0.host)}"# }
                .joined(separator: ",")
            let body = #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)","Options":{"com.docker.network.portmap":[\#(map)]}}"#
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try call("/NetworkDriver.ProgramExternalConnectivity", body)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            _ = try call("/NetworkDriver.RevokeExternalConnectivity", #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)"}"#)
            _ = try call("/NetworkDriver.DeleteEndpoint", #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)"}"#)
            _ = try call("/IpamDriver.ReleaseAddress", #"{"PoolID":"\#(poolID)","Address":"\#(address.split(separator: "/")[0])"}"#)
            return seconds
        }

        /// A container start with `-p 80`: CreateEndpoint, Join, ProgramExternalConnectivity.
        var callTimes: [String: [Double]] = [:]
        func timed(_ path: String, _ json: String) throws {
            let t0 = DispatchTime.now().uptimeNanoseconds
            _ = try call(path, json)
            callTimes[String(path.split(separator: ".").last ?? ""), default: []].append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        func start() throws -> (endpointID: String, address: String) {
            let endpointID = LifecycleBench.hex(64)
            let address = try call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(poolID)","Address":"","Options":null}"#)["Address"] as! String
            try timed("/NetworkDriver.CreateEndpoint",
                         #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)","Interface":{"Address":"\#(address)","AddressIPv6":"","MacAddress":""},"Options":{}}"#)
            try timed("/NetworkDriver.Join",
                         #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)","SandboxKey":"/var/run/docker/netns/bench","Options":{}}"#)
            try timed("/NetworkDriver.ProgramExternalConnectivity",
                         #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)","Options":{"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":0,"HostPortEnd":0}]}}"#)
            return (endpointID, address)
        }
        func stop(_ started: (endpointID: String, address: String)) throws {
            _ = try call("/NetworkDriver.RevokeExternalConnectivity", #"{"NetworkID":"\#(networkID)","EndpointID":"\#(started.endpointID)"}"#)
            _ = try call("/NetworkDriver.Leave", #"{"NetworkID":"\#(networkID)","EndpointID":"\#(started.endpointID)"}"#)
            _ = try call("/NetworkDriver.DeleteEndpoint", #"{"NetworkID":"\#(networkID)","EndpointID":"\#(started.endpointID)"}"#)
            _ = try call("/IpamDriver.ReleaseAddress", #"{"PoolID":"\#(poolID)","Address":"\#(started.address.split(separator: "/")[0])"}"#)
        }
        /// Median seconds of a start with `count` other endpoints publishing a port. Each
        /// measured start is stopped, and the next is timed 150 ms later: the stop's veth is
        /// deleted in the background in a batch 50 ms after DeleteEndpoint, and a start timed
        /// while the kernel deletes it would carry the cost of that stop.
        var publishing: [(endpointID: String, address: String)] = []
        func medianStart(with count: Int) throws -> Double {
            while publishing.count < count { publishing.append(try start()) }
            var samples: [Double] = []
            callTimes = [:]
            for _ in 0..<starts {
                let t0 = DispatchTime.now().uptimeNanoseconds
                let started = try start()
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                try stop(started)
                usleep(150_000)
            }
            print("  with \(count) endpoints publishing, per call, median ms: " + callTimes.sorted { $0.key < $1.key }
                .map { String(format: "%@ %.2f", $0.key, $0.value.sorted()[$0.value.count / 2]) }.joined(separator: ", "))
            return samples.sorted()[samples.count / 2]
        }

        _ = try publish((0..<10).map { (0, 8000 + $0) })  // warm-up
        let smallSeconds = try publish((0..<small).map { (0, 1 + $0) })
        let largeSeconds = try publish((0..<large).map { (0, 1 + $0) })
        let rangeSeconds = try publish((0..<range).map { (20_000 + $0, 20_000 + $0) })
        let fewStart = try medianStart(with: fewEndpoints)
        let manyStart = try medianStart(with: manyEndpoints)

        print("swiftnet ports benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, server \(BenchServer.binary(server))")
        print(String(format: "%5d any-port bindings (-p N): %8.1f ms, %7.3f ms per binding", small, smallSeconds * 1000,
                     smallSeconds * 1000 / Double(small)))
        print(String(format: "%5d any-port bindings (-p N): %8.1f ms, %7.3f ms per binding", large, largeSeconds * 1000,
                     largeSeconds * 1000 / Double(large)))
        print(String(format: "per binding at %d ÷ at %d: %.2fx (target: flat, ≤ 2x)", large, small,
                     (largeSeconds / Double(large)) / (smallSeconds / Double(small))))
        print(String(format: "-p %d-%d:%d-%d (%d bindings): %.0f ms (target ≤ 2000 ms)", 20_000, 20_000 + range - 1,
                     20_000, 20_000 + range - 1, range, rangeSeconds * 1000))
        let startRatio = manyStart / fewStart
        print(String(format: "container start with -p 80 (CreateEndpoint+Join+ProgramExternalConnectivity), median of %d: "
                     + "%.2f ms with %d endpoints publishing, %.2f ms with %d: %.2fx (target ≤ 2x: %@)", starts, fewStart * 1000,
                     fewEndpoints, manyStart * 1000, manyEndpoints, startRatio, startRatio <= 2 ? "met" : "NOT met"))
    }
}
