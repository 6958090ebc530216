import ArgumentParser
import Foundation
import SwiftnetFirewall

/// Median `docker run --rm` on a swiftnet network against Docker's built-in bridge driver,
/// alternating runs so both see the same machine. Needs a running dockerd (engine's own
/// /usr/bin/docker) and an image; starts swiftnet on the plugin socket unless one serves it.
struct DockerRunBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "docker-run",
                                                    abstract: "docker run --rm on swiftnet vs the bridge driver (needs dockerd).")

    @Option(help: "swiftnet binary to start if none serves /run/docker/plugins/swiftnet.sock.")
    var server: String?

    @Option(help: "Runs per driver.")
    var runs = 20

    @Option(help: "Image to run (must exist locally).")
    var image = "bb:latest"

    @Option(help: "docker CLI of the engine.")
    var docker = "/usr/bin/docker"

    func run() throws {
        guard getuid() == 0 else { throw ValidationError("docker-run needs root") }
        let socket = "/run/docker/plugins/swiftnet.sock"
        let suffix = LifecycleBench.hex(6)
        var started: BenchServer?
        let prefix = "SWB" + suffix.uppercased()
        let folder = "/tmp/swn-bench-docker-\(suffix)"
        if !FileManager.default.fileExists(atPath: socket) {
            let binary = BenchServer.binary(server)
            started = try BenchServer(binary: binary, folder: folder, socketPath: socket,
                                      extraArguments: ["--chain-prefix", prefix])
        }
        let swiftnetNetwork = "swnbench-\(suffix)"
        let bridgeNetwork = "swnbench-br-\(suffix)"
        defer {
            _ = DockerRunBench.exec(docker, ["network", "rm", swiftnetNetwork, bridgeNetwork])
            started?.stop()
            if started != nil {
                try? Firewall(prefix: prefix).remove()
                try? FileManager.default.removeItem(atPath: folder)
            }
        }
        for (name, arguments) in [(swiftnetNetwork, ["-d", "swiftnet", "--ipam-driver", "swiftnet"]),
                                  (bridgeNetwork, ["-d", "bridge"])] {
            let created = DockerRunBench.exec(docker, ["network", "create"] + arguments + [name])
            guard created.status == 0 else { throw ValidationError("network create \(name): \(created.output)") }
        }
        func once(_ network: String) throws -> Double {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let result = DockerRunBench.exec(docker, ["run", "--rm", "--network", network, "--dns", "127.0.0.1", image, "true"])
            guard result.status == 0 else { throw ValidationError("docker run on \(network): \(result.output)") }
            return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
        }
        _ = try once(swiftnetNetwork)
        _ = try once(bridgeNetwork)
        var swiftnet: [Double] = [], bridge: [Double] = []
        for _ in 0..<runs {
            swiftnet.append(try once(swiftnetNetwork))
            bridge.append(try once(bridgeNetwork))
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        func spread(_ values: [Double]) -> String {
            let sorted = values.sorted()
            return String(format: "%.0f–%.0f", sorted[sorted.count / 10], sorted[sorted.count * 9 / 10])
        }
        print("docker run --rm \(image) true, \(runs) runs each, alternating")
        print(String(format: "swiftnet network:       median %.0f ms (p10–p90 %@ ms)", median(swiftnet), spread(swiftnet)))
        print(String(format: "built-in bridge driver: median %.0f ms (p10–p90 %@ ms)", median(bridge), spread(bridge)))
        print(String(format: "swiftnet / bridge: %.2f", median(swiftnet) / median(bridge)))
    }

    static func exec(_ program: String, _ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
