import ArgumentParser
import Foundation
import SwiftnetClient
import SwiftnetFirewall
import SwiftnetKernel

/// The plugin's own cost of one container's network lifecycle, straight over the socket with
/// real kernel work: RequestAddress → CreateEndpoint → Join → Leave → DeleteEndpoint →
/// ReleaseAddress on one bridge network, and the same on a macvlan network (`swiftnet.mode=macvlan`
/// on a veth parent this benchmark makes). Baselines in the same run: the same six round trips
/// to `/Plugin.Activate` (the transport), and the same kernel requests as a bridge cycle made by
/// forking `ip`, one `ip` per request and with the deletes batched the same way (the target's
/// reference, see `forkIPCycle`); and, for comparison only, a plugin that forks `ip` the simple
/// way and deletes each veth in its DeleteEndpoint, waiting out the kernel's grace period.
/// And the same kernel requests sent by this process over netlink with swiftnet's own
/// `LinkManager`: the kernel's share of a cycle, which no plugin can go below.
struct LifecycleBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lifecycle",
                                                    abstract: "Container network lifecycle cost (needs root).")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Lifecycle cycles to measure.")
    var cycles = 2_000

    @Option(help: "Cycles of the fork-ip baselines (slow, so fewer).")
    var forkCycles = 200

    /// Issue #15, item 3: a bridge cycle at least this many times faster than the same kernel
    /// work done by forking `ip`.
    static let targetRatio = 20.0

    func run() throws {
        guard getuid() == 0 else { throw ValidationError("lifecycle needs root: it creates bridges and veths") }
        let binary = BenchServer.binary(server)
        let folder = "/tmp/swn-bench-\(getpid())"
        let prefix = "SWB\(String(getpid(), radix: 16).uppercased())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: folder)
            try? Firewall(prefix: prefix).remove()
        }
        let running = try BenchServer(binary: binary, folder: folder, extraArguments: ["--chain-prefix", prefix])
        defer { running.stop() }
        let client = try UnixHTTPClient(socketPath: running.socket)
        defer { client.close() }

        let steps = StepTimes()
        func call(_ path: String, _ json: String) throws -> [String: Any] {
            let t0 = DispatchTime.now().uptimeNanoseconds
            defer { steps.add(path, DispatchTime.now().uptimeNanoseconds - t0) }
            let response = try client.post(path, json: json)
            guard response.status == 200 else { throw ValidationError("\(path): \(response.status) \(response.text)") }
            return (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        }
        let pool = try call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"10.254.0.0/16","V6":false}"#)
        let poolID = pool["PoolID"] as! String
        let gateway = try call("/IpamDriver.RequestAddress",
                               #"{"PoolID":"\#(poolID)","Options":{"RequestAddressType":"com.docker.network.gateway"}}"#)["Address"] as! String
        let networkID = LifecycleBench.hex(64)
        _ = try call("/NetworkDriver.CreateNetwork",
                     #"{"NetworkID":"\#(networkID)","IPv4Data":[{"AddressSpace":"LocalDefault","Pool":"10.254.0.0/16","Gateway":"\#(gateway)"}],"IPv6Data":[],"Options":{"com.docker.network.generic":{}}}"#)
        defer {
            _ = try? call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(networkID)"}"#)
            _ = try? call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(poolID)"}"#)
        }

        // A macvlan network on a veth parent of its own (the peer end stays down: no traffic).
        let parent = "swbp" + LifecycleBench.hex(6)
        try LifecycleBench.ip(["link", "add", parent, "type", "veth", "peer", "name", parent + "x"])
        defer { try? LifecycleBench.ip(["link", "del", parent]) }
        try LifecycleBench.ip(["link", "set", parent, "up"])
        let lanPool = try call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"10.253.0.0/16","V6":false}"#)
        let lanPoolID = lanPool["PoolID"] as! String
        let lanGateway = try call("/IpamDriver.RequestAddress",
                                  #"{"PoolID":"\#(lanPoolID)","Options":{"RequestAddressType":"com.docker.network.gateway"}}"#)["Address"] as! String
        let lanNetworkID = LifecycleBench.hex(64)
        _ = try call("/NetworkDriver.CreateNetwork",
                     #"{"NetworkID":"\#(lanNetworkID)","IPv4Data":[{"AddressSpace":"LocalDefault","Pool":"10.253.0.0/16","Gateway":"\#(lanGateway)"}],"IPv6Data":[],"Options":{"com.docker.network.generic":{"swiftnet.mode":"macvlan","parent":"\#(parent)"}}}"#)
        defer {
            _ = try? call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(lanNetworkID)"}"#)
            _ = try? call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(lanPoolID)"}"#)
        }

        func cycle() throws { try cycle(networkID: networkID, poolID: poolID) }
        func macvlanCycle() throws { try cycle(networkID: lanNetworkID, poolID: lanPoolID) }
        func cycle(networkID: String, poolID: String) throws {
            let endpointID = LifecycleBench.hex(64)
            let address = try call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(poolID)","Address":"","Options":null}"#)["Address"] as! String
            _ = try call("/NetworkDriver.CreateEndpoint",
                         #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)","Interface":{"Address":"\#(address)","AddressIPv6":"","MacAddress":""},"Options":{}}"#)
            _ = try call("/NetworkDriver.Join",
                         #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)","SandboxKey":"/var/run/docker/netns/bench","Options":{}}"#)
            _ = try call("/NetworkDriver.Leave", #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)"}"#)
            _ = try call("/NetworkDriver.DeleteEndpoint", #"{"NetworkID":"\#(networkID)","EndpointID":"\#(endpointID)"}"#)
            _ = try call("/IpamDriver.ReleaseAddress",
                         #"{"PoolID":"\#(poolID)","Address":"\#(address.split(separator: "/")[0])"}"#)
        }
        func floorCycle() throws {
            for _ in 0..<6 { _ = try call("/Plugin.Activate", "") }
        }

        for _ in 0..<50 { try cycle(); try macvlanCycle() }  // warm-up
        steps.reset()
        // CPU time, unlike wall time, hardly moves with what else runs on the machine: the
        // server's (its threads, the reaper's batched deletes included) per cycle.
        let floorCPU = CPUTime.of(process: running.pid)
        let floor = try LifecycleBench.time(cycles, floorCycle)
        let bridgeCPU = CPUTime.of(process: running.pid)
        let swiftnet = try LifecycleBench.time(cycles, cycle)
        let macvlanCPU = CPUTime.of(process: running.pid)
        let bridgeSteps = steps.medians()
        steps.reset()
        let macvlan = try LifecycleBench.time(cycles, macvlanCycle)
        let endCPU = CPUTime.of(process: running.pid)
        let macvlanSteps = steps.medians()
        let bridge = "swn-" + networkID.prefix(10)
        let kernelCPU = CPUTime.ofThisProcess()
        let kernel = try LifecycleBench.kernelRequests(cycles: cycles, bridge: bridge)
        let kernelMs = (CPUTime.ofThisProcess() - kernelCPU) * 1000 / Double(cycles)
        let forked = try LifecycleBench.forkIPBaseline(cycles: forkCycles, bridge: bridge)
        let simple = try LifecycleBench.time(forkCycles) { try LifecycleBench.simpleForkIPCycle(bridge: bridge) }

        print("swiftnet lifecycle benchmark — \(ProcessInfo.processInfo.activeProcessorCount) cores, server \(binary)")
        print("measurement".padding(toLength: 46, withPad: " ", startingAt: 0) + "cycles/s   p50 ms   p99 ms")
        for (name, result) in [("6 × /Plugin.Activate (transport floor)", floor),
                               ("swiftnet lifecycle (6 calls, netlink)", swiftnet),
                               ("swiftnet lifecycle, macvlan mode", macvlan),
                               ("same kernel requests, netlink in-process", kernel),
                               ("same kernel work by forking ip (4 forks)", forked),
                               ("simple fork-ip plugin (4 forks, sync delete)", simple)] {
            print(name.padding(toLength: 46, withPad: " ", startingAt: 0)
                  + String(format: "%8.0f %8.3f %8.3f", result.rate, result.p50 * 1000, result.p99 * 1000))
        }
        print("per call, median ms (bridge): " + bridgeSteps.map { String(format: "%@ %.3f", $0.0, $0.1) }.joined(separator: ", "))
        print("per call, median ms (macvlan): " + macvlanSteps.map { String(format: "%@ %.3f", $0.0, $0.1) }.joined(separator: ", "))
        print(String(format: "one lifecycle costs %.3f ms: %.1fx the transport floor; the simple fork-ip plugin's cycle costs %.1fx swiftnet's (cycles/s)",
                     swiftnet.p50 * 1000, swiftnet.p50 / floor.p50, swiftnet.rate / simple.rate))
        let perCycle = { (from: Double, to: Double) in (to - from) * 1000 / Double(cycles) }
        print(String(format: "CPU ms per cycle: server, transport floor %.3f; server, bridge %.3f; server, macvlan %.3f; kernel requests alone (this process) %.3f",
                     perCycle(floorCPU, bridgeCPU), perCycle(bridgeCPU, macvlanCPU), perCycle(macvlanCPU, endCPU), kernelMs))
        // Transport and kernel one after the other, nothing else: what a plugin doing no work of
        // its own would reach.
        let bound = 1 / (1 / floor.rate + 1 / kernel.rate)
        print(String(format: "a plugin with no work of its own (transport floor + kernel requests) would make %.0f cycles/s: %.1fx the same kernel work by forking ip",
                     bound, bound / forked.rate))
        let ratio = swiftnet.rate / forked.rate
        print(String(format: "target: bridge lifecycle ≥ %.0fx the same kernel work by forking ip (cycles/s, same run): %.0f/s ÷ %.0f/s = %.1fx %@",
                     LifecycleBench.targetRatio, swiftnet.rate, forked.rate, ratio,
                     ratio >= LifecycleBench.targetRatio ? "(met)" : "(NOT met)"))
    }

    struct Timing {
        var rate: Double
        var p50: Double
        var p99: Double
    }

    static func time(_ count: Int, _ body: () throws -> Void) throws -> Timing {
        var samples: [Double] = []
        samples.reserveCapacity(count)
        let started = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<count {
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        let total = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        samples.sort()
        return Timing(rate: Double(count) / total, p50: samples[count / 2], p99: samples[min(count - 1, count * 99 / 100)])
    }

    /// The kernel requests of one swiftnet bridge cycle, one `ip` each, as a plugin that forks
    /// `ip` would send them: CreateEndpoint's (the bridge looked up by name, the pair made on
    /// the bridge and up with the container end's MAC and the host end's link group in one
    /// RTM_NEWLINK, then the alias), DeleteEndpoint's (the link read to check its alias, then
    /// moved to the retired group), and the retired links deleted together in one RTM_DELLINK
    /// 50 ms after the first of a batch, off the cycle — swiftnet's schedule exactly. Deleting
    /// in the cycle would time the kernel's RCU grace period (~20 ms per veth), not the work.
    static func forkIPBaseline(cycles: Int, bridge: String) throws -> Timing {
        let group = 0x4200_0000 | (UInt32(getpid()) & 0x00FF_FFFE)
        // Quiet: a batch may find its links gone with the one before (as swiftnet's may, which
        // takes the kernel's "no such device" for done as well).
        let reaper = BatchedDelete { try? ip(["link", "del", "group", String(group | 1)], output: false) }
        defer {
            reaper.stop()
            // Only links a failed cycle left behind; an empty group is not an error here.
            try? ip(["link", "del", "group", String(group)], output: false)
        }
        return try time(cycles) {
            let name = "swb" + hex(8)
            let mac = "02:" + (0..<5).map { _ in hex(2) }.joined(separator: ":")
            try ip(["link", "add", name, "up", "master", bridge, "group", String(group),
                    "type", "veth", "peer", "name", name + "p", "address", mac])
            try ip(["link", "set", name, "alias", hex(64)])
            try ip(["-o", "link", "show", name], output: false)
            try ip(["link", "set", name, "group", String(group | 1)])
            reaper.retired()
        }
    }

    /// The kernel requests of `forkIPBaseline`, sent over netlink by swiftnet's `LinkManager`
    /// from this process: pair on the bridge (bridge lookup, RTM_NEWLINK, alias), alias read,
    /// retire; batched deletes 50 ms after the first of a batch, on another thread.
    static func kernelRequests(cycles: Int, bridge: String) throws -> Timing {
        let links = try LinkManager()
        let group = 0x4400_0000 | (UInt32(getpid()) & 0x00FF_FFFE)
        let reaper = BatchedDelete { try? links.deleteGroup(group | 1) }
        defer {
            reaper.stop()
            try? links.deleteGroup(group)
        }
        return try time(cycles) {
            let name = "swk" + hex(8)
            let mac: [UInt8] = [0x02] + (0..<5).map { _ in UInt8.random(in: 0...255) }
            try links.createVethPair(host: name, peer: name + "p", mtu: nil, peerMAC: mac, onBridge: bridge,
                                     group: group, alias: hex(64))
            guard try links.link(named: name)?.alias != nil else { throw ValidationError("\(name) has no alias") }
            try links.retire(name, toGroup: group | 1)
            reaper.retired()
        }
    }

    /// What a simple plugin that shells out does: add the pair, enslave, up, and delete it in
    /// DeleteEndpoint, waiting for the kernel to finish (for comparison; not the target's
    /// reference, since swiftnet does not wait for the delete).
    static func simpleForkIPCycle(bridge: String) throws {
        let name = "swb" + hex(8)
        for arguments in [["link", "add", name, "type", "veth", "peer", "name", name + "p"],
                          ["link", "set", name, "master", bridge], ["link", "set", name, "up"], ["link", "del", name]] {
            try ip(arguments)
        }
    }

    /// posix_spawn + waitpid: Foundation's Process polls for exit in 50 ms steps here, which
    /// would make a fork-ip baseline look far worse than forking really is. `output: false`
    /// sends stdout and stderr to /dev/null (a plugin would read stdout; that costs no more).
    static func ip(_ arguments: [String], output: Bool = true) throws {
        let argv = (["/usr/sbin/ip"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !output {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/usr/sbin/ip", &actions, nil, argv, environ) == 0 else { throw ValidationError("cannot spawn ip") }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        guard status == 0 else { throw ValidationError("ip \(arguments.joined(separator: " ")) failed") }
    }

    static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement()! })
    }
}

/// Per-call durations, to show where a cycle's time goes.
final class StepTimes {
    private var samples: [String: [UInt64]] = [:]
    func add(_ path: String, _ nanoseconds: UInt64) { samples[String(path.split(separator: ".").last ?? ""), default: []].append(nanoseconds) }
    func reset() { samples = [:] }
    func medians() -> [(String, Double)] {
        samples.filter { $0.key != "Activate" }.map { key, values in
            (key, Double(values.sorted()[values.count / 2]) / 1e6)
        }.sorted { $0.1 > $1.1 }
    }
}

/// A baseline's deferred delete: `delete` 50 ms after the first link of a batch was retired,
/// on a thread of its own, as swiftnet's reaper does.
final class BatchedDelete: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending = 0
    private var stopping = false
    private var thread: Thread?
    private let delete: @Sendable () -> Void

    init(_ delete: @escaping @Sendable () -> Void) {
        self.delete = delete
        let thread = Thread { [self] in loop() }
        self.thread = thread
        thread.start()
    }

    func retired() {
        condition.lock()
        pending += 1
        condition.signal()
        condition.unlock()
    }

    /// Deletes what is left and ends the thread.
    func stop() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
        while thread?.isFinished == false { usleep(1_000) }
    }

    private func loop() {
        while true {
            condition.lock()
            while pending == 0 && !stopping { condition.wait() }
            let last = stopping
            condition.unlock()
            if !last { usleep(50_000) }
            condition.lock()
            let batch = pending
            pending = 0
            condition.unlock()
            if batch > 0 { delete() }
            if last { return }
        }
    }
}
