import Foundation
import SwiftnetAddress
import XCTest
@testable import SwiftnetFirewall

/// Real packets through the rendered rules, in throw-away network namespaces so the host is
/// not touched: a "host" namespace R with two swiftnet-like bridges, containers A and A2 on
/// the first, B on the second, and an outside client X on a veth "uplink". The rules are the
/// product's rendering and jumps, loaded with `ip netns exec R iptables-restore` (the tests'
/// own commands: the product never runs `ip`). busybox httpd answers with the address it
/// sees (a CGI printing REMOTE_ADDR), so each check shows both reachability and NAT.
final class FirewallDataplaneTests: XCTestCase {
    let hex = HostCommand.uniqueHex()
    var namespaces: [String] = []
    var servers: [Process] = []
    var folder: String { "/tmp/swtest-\(hex)" }
    static let ip = ["/usr/sbin/ip", "/sbin/ip", "/bin/ip"].first { HostCommand.hasTool($0) }
    static let busybox = ["/usr/bin/busybox", "/bin/busybox"].first { HostCommand.hasTool($0) }
    static let timeout = ["/usr/bin/timeout", "/bin/timeout"].first { HostCommand.hasTool($0) }

    func ns(_ name: String) -> String { "swtest-\(hex)-\(name)" }

    override func setUpWithError() throws {
        guard HostCommand.isRoot else { throw XCTSkip("needs root") }
        guard Self.ip != nil, Self.busybox != nil, Self.timeout != nil, HostCommand.hasTool("/usr/sbin/iptables-restore") else {
            throw XCTSkip("needs ip, busybox, timeout and iptables")
        }
    }

    override func tearDown() {
        for server in servers where server.isRunning {
            server.terminate()
            server.waitUntilExit()
        }
        // Deleting a namespace deletes its bridges, veths and tables with it.
        for name in namespaces { HostCommand.run([Self.ip!, "netns", "del", name]) }
        try? FileManager.default.removeItem(atPath: folder)
        let left = HostCommand.run([Self.ip!, "netns", "list"]).stdout
        XCTAssertFalse(left.contains("swtest-\(hex)"), left)
    }

    func ipr(_ arguments: String...) throws { try HostCommand.must([Self.ip!] + arguments) }
    func exec(_ namespace: String, _ arguments: [String], input: String? = nil) -> HostCommand.Output {
        HostCommand.run([Self.ip!, "netns", "exec", namespace] + arguments, input: input)
    }

    /// What a client in `namespace` gets from http://target/cgi-bin/ip — the client address
    /// the server saw — or nil if it got nothing in time (a dropped SYN is never answered, so
    /// checks that expect nothing wait only one second).
    func fetch(from namespace: String, _ target: String, seconds: Int = 3) -> String? {
        let output = exec(namespace, [Self.timeout!, "\(seconds)", Self.busybox!, "wget", "-q", "-O", "-", "http://\(target)/cgi-bin/ip"])
        guard output.status == 0 else { return nil }
        // httpd listens on a dual-stack socket: IPv4 clients appear as ::ffff:a.b.c.d.
        return output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            .replacingOccurrences(of: "[::ffff:", with: "").replacingOccurrences(of: "]", with: "")
    }

    func testPacketsFollowTheRules() throws {
        let (r, a, a2, b, x) = (ns("r"), ns("a"), ns("a2"), ns("b"), ns("x"))
        for name in [r, a, a2, b, x] {
            try ipr("netns", "add", name)
            namespaces.append(name)
            try ipr("-n", name, "link", "set", "lo", "up")
        }
        for (bridge, gateway) in [("swtA", "10.91.1.1/24"), ("swtB", "10.91.2.1/24")] {
            try ipr("-n", r, "link", "add", bridge, "type", "bridge")
            try ipr("-n", r, "addr", "add", gateway, "dev", bridge)
            try ipr("-n", r, "link", "set", bridge, "up")
        }
        for (container, veth, bridge, address, gateway) in [(a, "vA", "swtA", "10.91.1.2/24", "10.91.1.1"),
                                                            (a2, "vA2", "swtA", "10.91.1.3/24", "10.91.1.1"),
                                                            (b, "vB", "swtB", "10.91.2.2/24", "10.91.2.1")] {
            try ipr("-n", r, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", container)
            try ipr("-n", r, "link", "set", veth, "master", bridge, "up")
            try ipr("-n", container, "addr", "add", address, "dev", "eth0")
            try ipr("-n", container, "link", "set", "eth0", "up")
            try ipr("-n", container, "route", "add", "default", "via", gateway)
        }
        try ipr("-n", r, "link", "add", "vX", "type", "veth", "peer", "name", "eth0", "netns", x)
        try ipr("-n", r, "addr", "add", "192.0.2.1/24", "dev", "vX")
        try ipr("-n", r, "link", "set", "vX", "up")
        try ipr("-n", x, "addr", "add", "192.0.2.2/24", "dev", "eth0")
        try ipr("-n", x, "link", "set", "eth0", "up")
        try ipr("-n", x, "route", "add", "default", "via", "192.0.2.1")
        // What the bridge driver and Docker set up on a real host: forwarding, loopback
        // sources routable out of the bridge, bridged frames through iptables, and hairpin
        // mode on A's port (so A can reach its own published port).
        XCTAssertEqual(exec(r, [Self.busybox!, "sysctl", "-w", "net.ipv4.ip_forward=1", "net.ipv4.conf.swtA.route_localnet=1",
                                "net.bridge.bridge-nf-call-iptables=1"]).status, 0)
        try ipr("-n", r, "link", "set", "vA", "type", "bridge_slave", "hairpin", "on")

        // The rules, exactly as the product renders them.
        let networks = [FirewallNetwork(bridge: "swtA", subnets: [IPPrefix("10.91.1.0/24")!]),
                        FirewallNetwork(bridge: "swtB", subnets: [IPPrefix("10.91.2.0/24")!])]
        let bindings = [FirewallPortBinding(bridge: "swtA", proto: "tcp", hostPort: 8080, containerIP: IPAddress("10.91.1.2")!, containerPort: 80)]
        let prefix = "SWT\(hex.uppercased())"
        let text = try FirewallRules.render(networks: networks, bindings: bindings, family: .v4, prefix: prefix)
        let restored = exec(r, ["/usr/sbin/iptables-restore", "--noflush", "-w"], input: text)
        XCTAssertEqual(restored.status, 0, restored.stderr)
        for jump in try FirewallRules.jumps(family: .v4, prefix: prefix) {
            let inserted = exec(r, ["/usr/sbin/iptables"] + jump.insertArguments)
            XCTAssertEqual(inserted.status, 0, inserted.stderr)
        }

        // Servers: A on 80 (published as 8080) and 81 (not published); X on 80.
        try FileManager.default.createDirectory(atPath: folder + "/www/cgi-bin", withIntermediateDirectories: true)
        let script = folder + "/www/cgi-bin/ip"
        try "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n%s\\n' \"$REMOTE_ADDR\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        for (namespace, port) in [(a, "80"), (a, "81"), (x, "80")] {
            let server = Process()
            server.executableURL = URL(fileURLWithPath: Self.ip!)
            server.arguments = ["netns", "exec", namespace, Self.busybox!, "httpd", "-f", "-p", port, "-h", folder + "/www"]
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            servers.append(server)
            let deadline = Date().addingTimeInterval(5)
            while fetch(from: namespace, "127.0.0.1:\(port)") == nil && Date() < deadline { usleep(50_000) }
        }

        // Published port from outside: DNAT, the client's own address kept.
        XCTAssertEqual(fetch(from: x, "192.0.2.1:8080"), "192.0.2.2")
        // The way out, masqueraded behind the uplink address; B's network too.
        XCTAssertEqual(fetch(from: a, "192.0.2.2:80"), "192.0.2.1")
        XCTAssertEqual(fetch(from: b, "192.0.2.2:80"), "192.0.2.1")
        // Isolation between the two networks: directly not. Through the published port on a
        // host address yes, as Docker's userland proxy lets it (masqueraded by B's way out).
        XCTAssertNil(fetch(from: b, "10.91.1.2:80", seconds: 1))
        XCTAssertEqual(fetch(from: b, "192.0.2.1:8080"), "10.91.1.1")
        XCTAssertNil(fetch(from: b, "10.91.1.2:81", seconds: 1))
        // Unpublished port from outside: dropped by us, though R's FORWARD policy is ACCEPT.
        XCTAssertNil(fetch(from: x, "10.91.1.2:81", seconds: 1))
        // Inside the network (icc on): direct, and through the host's published port (hairpin
        // without a proxy: br_netfilter undoes the DNAT on the bridged reply).
        XCTAssertEqual(fetch(from: a2, "10.91.1.2:81"), "10.91.1.3")
        XCTAssertEqual(fetch(from: a2, "192.0.2.1:8080"), "10.91.1.3")
        // A container reaching its own published port: masqueraded to the gateway.
        XCTAssertEqual(fetch(from: a, "192.0.2.1:8080"), "10.91.1.1")
        // The host itself through 127.0.0.1 (OUTPUT jump, route_localnet, local-source masquerade).
        XCTAssertEqual(fetch(from: r, "127.0.0.1:8080"), "10.91.1.1")
    }
}
