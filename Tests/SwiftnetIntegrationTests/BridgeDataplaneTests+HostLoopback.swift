import Foundation
import SwiftnetTestSupport
import XCTest

/// Every swiftnet bridge has `route_localnet=1`, which the host's own connections to ports
/// published on 127.0.0.1 need; the same setting would let a container reach services the
/// host binds to 127.0.0.1 only (the CVE-2020-8558 class). The container here sends to
/// 127.0.0.1 through its gateway, as a hostile container can.
extension BridgeDataplaneTests {
    func testContainersCannotReachServicesOnTheHostsLoopback() throws {
        let network = try createNetwork()
        let container = try addContainer(to: network)
        let listener = try LoopbackListener()
        defer { listener.close() }

        // Inside the container: 127/8 no longer local but routed to the gateway, and answers
        // from 127.0.0.1 accepted on eth0 (a container with NET_ADMIN can do all of this).
        for step in [
            ["/usr/sbin/ip", "addr", "flush", "dev", "lo"],
            ["/usr/sbin/ip", "route", "add", "127.0.0.0/8", "via", network.gateway, "dev", "eth0"],
            ["/bin/busybox", "sysctl", "-w", "net.ipv4.conf.all.route_localnet=1"],
            ["/bin/busybox", "sysctl", "-w", "net.ipv4.conf.eth0.route_localnet=1"],
            ["/bin/busybox", "sysctl", "-w", "net.ipv4.conf.all.rp_filter=0"],
            ["/bin/busybox", "sysctl", "-w", "net.ipv4.conf.eth0.rp_filter=0"],
        ] {
            let done = Shell.inNamespace(container.namespace, step)
            XCTAssertTrue(done.succeeded, done.both)
        }
        let sent = Shell.inNamespace(container.namespace,
                                     ["/bin/busybox", "nc", "-w", "2", "127.0.0.1", "\(listener.port)"], timeout: 5)
        XCTAssertFalse(listener.accepted(within: 2), "a container reached a service bound to 127.0.0.1 on the host: \(sent.both)")
        let drop = "-A \(chainPrefix)-LOOPBACK -d 127.0.0.0/8 -i swn-+ -j DROP"
        XCTAssertTrue(Shell.run("/usr/sbin/iptables-save", ["-t", "raw"]).output.contains(drop))

        // The host's own connections to a port published on 127.0.0.1 still reach the container.
        let hostPort = Int.random(in: 30_000...39_000)
        let web = try addContainer(to: network)
        XCTAssertEqual(try client.call("/NetworkDriver.ProgramExternalConnectivity",
            #"{"EndpointID":"\#(web.endpointID)","NetworkID":"\#(network.id)","Options":{"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"127.0.0.1","HostPort":\#(hostPort),"HostPortEnd":\#(hostPort)}]}}"#).status, 200)
        let httpd = try startHTTPServer(in: web.namespace, content: "loopback-ok")
        defer { kill(httpd.processIdentifier, SIGKILL); httpd.waitUntilExit() }
        var fetched = Shell.run("/usr/bin/curl", ["-s", "-m", "3", "http://127.0.0.1:\(hostPort)/"])
        for _ in 0..<20 where !fetched.output.contains("loopback-ok") {
            usleep(100_000)
            fetched = Shell.run("/usr/bin/curl", ["-s", "-m", "3", "http://127.0.0.1:\(hostPort)/"])
        }
        XCTAssertTrue(fetched.output.contains("loopback-ok"), fetched.both)
    }

    /// busybox httpd serving `content` on port 80 inside `namespace`.
    func startHTTPServer(in namespace: String, content: String) throws -> Process {
        let folder = server.folder + "/www-" + Shell.randomHex(6)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try content.write(toFile: folder + "/index.html", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", namespace, "/bin/busybox", "httpd", "-f", "-p", "80", "-h", folder]
        try process.run()
        background.append(process)
        return process
    }
}

/// A TCP socket listening on 127.0.0.1 (an ephemeral port) of the host, for a test to see
/// whether anything connected to it.
final class LoopbackListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else { Glibc.close(fd); throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a connection arrived within `seconds` (accepted and closed at once).
    func accepted(within seconds: Int) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&entry, 1, Int32(seconds * 1000)) == 1 else { return false }
        let connection = accept(fd, nil, nil)
        if connection >= 0 { Glibc.close(connection) }
        return connection >= 0
    }

    func close() { Glibc.close(fd) }
}
