import ArgumentParser
import Foundation

/// What swiftnet's rules cost each packet as bridge networks accumulate: a container of the
/// newest network sends UDP to a peer beyond the host and waits for the echo, and the peer
/// does the same with the host itself, with 1 network held (the baseline) and with more, in
/// one run, over the real server's bridges and rules in a throw-away namespace. iptables tries
/// rules one after another, so a packet's cost follows the rules it passes before its own
/// network's decide (and every packet the host receives passes swiftnet's raw chain).
///
/// Namespaces: the server's ("host"), one per container, and the peer's, joined to the host by
/// a veth on 192.0.2.0/24 (TEST-NET-1), which is neither a bridge of ours nor Docker's: traffic
/// there is a container's way out. The same binary, re-run in those namespaces, sends and
/// echoes (`udp-ping`, `udp-echo`), so every count is measured by the same client.
struct ForwardingBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "forwarding",
                                                    abstract: "Per-packet cost of the forwarding rules as networks accumulate (needs root).")

    @Option(help: "swiftnet binary to start (default: the one beside this benchmark).")
    var server: String?

    @Option(help: "Networks held at the last measurement (at most 4000); also measured at a tenth of it.")
    var count = 1_000

    @Option(help: "Round trips per measurement.")
    var packets = 5_000

    func run() throws {
        guard getuid() == 0 else { throw ValidationError("forwarding needs root: it makes namespaces, bridges and rules") }
        guard (20...4_000).contains(count) else { throw ValidationError("--count: 20…4000") }
        guard (100...1_000_000).contains(packets) else { throw ValidationError("--packets: 100…1000000") }
        let binary = BenchServer.binary(server)
        let points = [1, count / 10, count]
        print("swiftnet forwarding benchmark — UDP round trips from a container of the newest network to a peer beyond the host,"
              + " \(packets) per measurement, with \(points.map(String.init).joined(separator: ", ")) networks held")
        let results = try BenchNamespace.serving(binary: binary, name: "forwarding") { plugin, host in
            try measure(plugin, host: host, points: points)
        }
        for (label, samples) in [("container → peer", results.map(\.forwarded)), ("peer → host itself", results.map(\.host))] {
            for (held, sample) in zip(points, samples) {
                print(String(format: "%@, %d network%@: round trip median %.1f µs, p90 %.1f µs, %d lost; ratio to 1 network %.2f",
                             label, held, held == 1 ? "" : "s", sample.median, sample.p90, sample.lost, sample.median / samples[0].median))
            }
        }
    }

    struct Sample {
        var median: Double, p90: Double, lost: Int
    }

    /// One measurement point: a container's traffic through the host, and the host's own
    /// traffic (every packet the host receives passes the raw table's PREROUTING).
    struct Point {
        var forwarded: Sample, host: Sample
    }

    private func measure(_ plugin: BenchClient, host: BenchNamespace, points: [Int]) throws -> [Point] {
        let peer = try BenchNamespace()
        defer { peer.delete() }
        let outside = "fwdout\(LifecycleBench.hex(4))"
        for step in [
            ["netns", "exec", host.name, "sysctl", "-qw", "net.ipv4.ip_forward=1"],
            ["-n", host.name, "link", "add", outside, "type", "veth", "peer", "name", "eth0", "netns", peer.name],
            ["-n", host.name, "addr", "add", "192.0.2.1/24", "dev", outside],
            ["-n", host.name, "link", "set", outside, "up"],
            ["-n", peer.name, "addr", "add", "192.0.2.2/24", "dev", "eth0"],
            ["-n", peer.name, "link", "set", "eth0", "up"],
        ] { try Self.ip(step) }
        let echo = Process(), hostEcho = Process()
        for (process, namespace) in [(echo, peer), (hostEcho, host)] {
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
            process.arguments = ["netns", "exec", namespace.name, Self.me, "udp-echo"]
        }
        try echo.run()
        defer { echo.terminate(); echo.waitUntilExit() }
        try hostEcho.run()
        defer { hostEcho.terminate(); hostEcho.waitUntilExit() }

        var samples: [Point] = []
        var held = 0
        for point in points {
            // The measured network is created last: its rules come after every other's in its chain.
            while held < point - 1 {
                _ = try plugin.createBridgeNetwork(subnet: "10.\(200 + held / 256).\(held % 256).0/24")
                held += 1
            }
            let subnet = "10.\(200 + held / 256).\(held % 256).0/24"
            held += 1
            let network = try plugin.createBridgeNetwork(subnet: subnet)
            let endpoint = try plugin.createEndpoint(networkID: network.networkID, poolID: network.poolID)
            let joined = try plugin.call("/NetworkDriver.Join",
                                         #"{"NetworkID":"\#(network.networkID)","EndpointID":"\#(endpoint.endpointID)","SandboxKey":"/var/run/docker/netns/bench","Options":{}}"#)
            guard let source = (joined["InterfaceName"] as? [String: Any])?["SrcName"] as? String,
                  let gateway = joined["Gateway"] as? String else { throw ValidationError("Join answered without SrcName or Gateway: \(joined)") }
            // What dockerd does with the container's end.
            let container = try BenchNamespace()
            defer { container.delete() }
            for step in [
                ["-n", host.name, "link", "set", source, "netns", container.name],
                ["-n", container.name, "link", "set", source, "name", "eth0"],
                ["-n", container.name, "addr", "add", endpoint.address, "dev", "eth0"],
                ["-n", container.name, "link", "set", "eth0", "up"],
                ["-n", container.name, "route", "add", "default", "via", gateway],
            ] { try Self.ip(step) }
            samples.append(Point(forwarded: try ping(from: container, to: "192.0.2.2"), host: try ping(from: peer, to: "192.0.2.1")))
        }
        return samples
    }

    /// `udp-ping` run in `namespace` against the echo at `address`.
    private func ping(from namespace: BenchNamespace, to address: String) throws -> Sample {
        let ping = DockerRunBench.exec("/usr/sbin/ip", ["netns", "exec", namespace.name, Self.me, "udp-ping", "--to", address,
                                                         "--packets", String(packets)])
        let fields = ping.output.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
        guard ping.status == 0, fields.count == 3 else { throw ValidationError("udp-ping to \(address): \(ping.output)") }
        return Sample(median: fields[0], p90: fields[1], lost: Int(fields[2]))
    }

    /// This benchmark's own binary, re-run inside the namespaces.
    static var me: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0] }

    static func ip(_ arguments: [String]) throws {
        let done = DockerRunBench.exec("/usr/sbin/ip", arguments)
        guard done.status == 0 else { throw ValidationError("ip \(arguments.joined(separator: " ")): \(done.output)") }
    }
}

/// `udp-ping`: round trips to a `udp-echo`, one numbered datagram at a time (an answer with
/// another number, late, is read past). It waits up to 5 s for the first answer, sends 500
/// unmeasured, then prints the median and 90th percentile of `packets` in µs and how many of
/// them got no answer within 1 s; more than 50 such and it stops with an error, rather than
/// wait a second for each of the rest.
struct UDPPing: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "udp-ping", abstract: "forwarding's client", shouldDisplay: false)

    @Option var to: String
    @Option var port = 9_999
    @Option var packets = 5_000

    func run() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("socket: \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        guard inet_pton(AF_INET, to, &address.sin_addr) == 1 else { throw ValidationError("--to: not an IPv4 address") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ValidationError("connect: \(errno)") }

        var sequence: UInt32 = 0
        var waiting = timeval(tv_sec: 0, tv_usec: 0)
        /// Sends the next number and waits up to `timeout` for its answer; false if none came.
        func roundTrip(timeout: timeval) -> Bool {
            if timeout.tv_sec != waiting.tv_sec || timeout.tv_usec != waiting.tv_usec {
                waiting = timeout
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &waiting, socklen_t(MemoryLayout<timeval>.size))
            }
            sequence &+= 1
            var sent = sequence
            guard send(fd, &sent, 4, 0) == 4 else { return false }
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout.tv_sec) * 1_000_000_000 + UInt64(timeout.tv_usec) * 1_000
            var answer: UInt32 = 0
            while DispatchTime.now().uptimeNanoseconds < deadline {
                // An error (a timeout, or "refused" while the peer is not listening) is no answer.
                guard recv(fd, &answer, 4, 0) == 4 else { return false }
                if answer == sent { return true }
            }
            return false
        }
        var ready = false
        for _ in 0..<50 where !ready {
            ready = roundTrip(timeout: timeval(tv_sec: 0, tv_usec: 100_000))
            if !ready { usleep(100_000) }
        }
        guard ready else { throw ValidationError("no answer from \(to):\(port) within 5 s") }
        for _ in 0..<500 { _ = roundTrip(timeout: timeval(tv_sec: 1, tv_usec: 0)) }
        var rounds: [Double] = []
        var lost = 0
        for _ in 0..<packets {
            let t0 = DispatchTime.now().uptimeNanoseconds
            if roundTrip(timeout: timeval(tv_sec: 1, tv_usec: 0)) {
                rounds.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1_000)
            } else {
                lost += 1
                guard lost <= 50 else { throw ValidationError("more than 50 of \(packets) round trips got no answer") }
            }
        }
        guard !rounds.isEmpty else { throw ValidationError("no answer from \(to):\(port)") }
        rounds.sort()
        print(String(format: "%.1f %.1f %d", rounds[rounds.count / 2], rounds[rounds.count * 9 / 10], lost))
    }
}

/// `udp-echo`: sends every datagram back to its sender, until killed.
struct UDPEcho: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "udp-echo", abstract: "forwarding's peer", shouldDisplay: false)

    @Option var port = 9_999

    func run() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw ValidationError("socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port)).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw ValidationError("bind: \(errno)") }
        var buffer = [UInt8](repeating: 0, count: 2_048)
        while true {
            var from = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = withUnsafeMutablePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
            }
            guard count >= 0 else { continue }
            _ = withUnsafePointer(to: &from) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buffer, count, 0, $0, length) }
            }
        }
    }
}
