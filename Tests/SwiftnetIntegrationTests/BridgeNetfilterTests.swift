import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// `enable_icc=false` is a DROP between two ports of one bridge, which iptables only sees
/// when br_netfilter passes bridged frames to it (`net.bridge.bridge-nf-call-iptables`). The
/// setting is per network namespace, so the server runs in a namespace of its own here, where
/// the test can turn it off without touching the host (dockerd's containers need it on).
final class BridgeNetfilterTests: XCTestCase {
    var server: ServerProcess!
    var client: UnixHTTPClient!
    var namespaces: [String] = []
    let host = "swtest-" + Shell.randomHex(8)
    let setting = "/proc/sys/net/bridge/bridge-nf-call-iptables"

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for namespaces, netlink and iptables") }
        XCTAssertTrue(Shell.ip("netns", "add", host).succeeded)
        namespaces.append(host)
        XCTAssertTrue(Shell.ip("-n", host, "link", "set", "lo", "up").succeeded)
        guard Shell.inNamespace(host, ["/bin/cat", setting]).succeeded else {
            throw XCTSkip("br_netfilter is not loaded on this host and cannot be loaded here")
        }
        setBridgedFiltering("0")
        server = ServerProcess()
        server.namespace = host
        server.extraArguments = ["--chain-prefix", "SWT" + Shell.randomHex(6).uppercased()]
        try server.start()
        client = try server.client()
    }

    override func tearDownWithError() throws {
        client?.close()
        server?.cleanUp()
        // The namespace takes its bridges, veths and rules with it.
        for namespace in namespaces.reversed() { Shell.ip("netns", "del", namespace) }
    }

    /// A kernel setting of the server's namespace (a path under /proc/sys).
    func sysctl(_ path: String) -> String {
        Shell.inNamespace(host, ["/bin/cat", path]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func setSysctl(_ path: String, _ value: String) {
        let done = Shell.inNamespace(host, ["/bin/busybox", "sh", "-c", "echo \(value) > \(path)"])
        XCTAssertTrue(done.succeeded, done.both)
    }

    func setBridgedFiltering(_ value: String) { setSysctl(setting, value) }

    var bridgedFiltering: String { sysctl(setting) }

    func swiftnet(_ arguments: [String]) -> Shell.Result {
        Shell.run(ServerProcess.binary, arguments + ["--socket", server.socketPath, "--state", server.statePath], timeout: 60)
    }

    /// A container: RequestAddress, CreateEndpoint, Join, then its veth moved out of the
    /// server's namespace into one of its own, as dockerd does.
    func addContainer(network: String, pool: String, gateway: String) throws -> (namespace: String, address: String) {
        let cidr = try client.requestAddress(pool: pool)
        let endpoint = Shell.randomHex(64)
        XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(endpoint)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network)","Options":{}}"#).status, 200)
        let join = try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(endpoint)","NetworkID":"\#(network)","Options":{},"SandboxKey":"/var/run/docker/netns/test"}"#)
        let source = try XCTUnwrap((join.object["InterfaceName"] as? [String: String])?["SrcName"])
        let namespace = "swtest-" + Shell.randomHex(8)
        namespaces.append(namespace)
        for step in [
            Shell.ip("netns", "add", namespace),
            Shell.ip("-n", host, "link", "set", source, "netns", namespace),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "addr", "add", cidr, "dev", source]),
            Shell.inNamespace(namespace, ["/usr/sbin/ip", "link", "set", source, "up"]),
        ] {
            XCTAssertTrue(step.succeeded, step.both)
        }
        return (namespace, String(cidr.split(separator: "/")[0]))
    }

    func testInterContainerOffTurnsBridgedFilteringOnAndDoctorWatchesIt() throws {
        let subnet = "10.231.\(Int.random(in: 0...250))"
        let pool = try client.requestPool("\(subnet).0/24")
        let gateway = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let network = Shell.randomHex(64)
        let create = try client.call("/NetworkDriver.CreateNetwork",
            #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(subnet).0/24"}],"IPv6Data":[],"NetworkID":"\#(network)","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":{"com.docker.network.bridge.enable_icc":"false"}}}"#)
        XCTAssertEqual(create.status, 200, "\(create.object)\n\(server.log)")
        XCTAssertEqual(bridgedFiltering, "1", "creating an enable_icc=false network makes bridged traffic pass iptables")

        let a = try addContainer(network: network, pool: pool.id, gateway: gateway)
        let b = try addContainer(network: network, pool: pool.id, gateway: gateway)
        let ping = Shell.inNamespace(a.namespace, ["/bin/busybox", "ping", "-c", "1", "-W", "1", b.address], timeout: 5)
        XCTAssertFalse(ping.succeeded, "enable_icc=false: containers of the network do not reach each other")

        // Turned off behind swiftnet's back: the doctor says so, and --fix turns it on again.
        setBridgedFiltering("0")
        let doctor = swiftnet(["doctor"])
        XCTAssertEqual(doctor.status, 1, doctor.both)
        XCTAssertTrue(doctor.output.contains("[icc-not-enforced]"), doctor.both)
        let fixed = swiftnet(["doctor", "--fix"])
        XCTAssertEqual(fixed.status, 0, fixed.both)
        XCTAssertEqual(bridgedFiltering, "1")
    }

    /// A network that lets its containers talk needs no bridged filtering, and gets none.
    func testInterContainerOnLeavesTheSettingAlone() throws {
        let subnet = "10.231.\(Int.random(in: 0...250))"
        let pool = try client.requestPool("\(subnet).0/24")
        let gateway = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let create = try client.call("/NetworkDriver.CreateNetwork",
            #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(subnet).0/24"}],"IPv6Data":[],"NetworkID":"\#(Shell.randomHex(64))","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":{}}}"#)
        XCTAssertEqual(create.status, 200, "\(create.object)")
        XCTAssertEqual(bridgedFiltering, "0")
        XCTAssertFalse(swiftnet(["doctor"]).output.contains("[icc-not-enforced]"))
    }

    func ipv6Forwarding(_ scope: String = "all") -> String { sysctl("/proc/sys/net/ipv6/conf/\(scope)/forwarding") }

    func setIPv6Forwarding(_ value: String) {
        for scope in ["all", "default"] { setSysctl("/proc/sys/net/ipv6/conf/\(scope)/forwarding", value) }
    }

    /// An IPv6 network with a way out needs the host to forward IPv6, which dockerd turns on
    /// for its own IPv6 networks: on a host without one it was off, and an IPv6 container
    /// reached nothing beyond its bridge (nor other networks its published IPv6 ports). An
    /// `--internal` network needs none. Turned off behind swiftnet's back: the doctor says
    /// so, and --fix turns it on again.
    func testAnIPv6NetworkTurnsIPv6ForwardingOn() throws {
        setIPv6Forwarding("0")
        func createIPv6Network(isInternal: Bool) throws {
            let subnet = "fd00:\(String(Int.random(in: 0x100...0xfff), radix: 16))::/64"
            let pool = try client.requestPool(subnet, v6: true, options: "{}")
            let gateway = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
            let create = try client.call("/NetworkDriver.CreateNetwork",
                #"{"IPv4Data":[],"IPv6Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(subnet)"}],"NetworkID":"\#(Shell.randomHex(64))","Options":{"com.docker.network.enable_ipv4":false,"com.docker.network.enable_ipv6":true,"com.docker.network.internal":\#(isInternal),"com.docker.network.generic":{}}}"#)
            XCTAssertEqual(create.status, 200, "\(create.object)\n\(server.log)")
        }
        try createIPv6Network(isInternal: true)
        XCTAssertEqual(ipv6Forwarding(), "0", "an internal network has no way out to forward to")
        let policy = ["/usr/sbin/ip6tables", "-w", "-S", "FORWARD"]
        XCTAssertTrue(Shell.inNamespace(host, ["/usr/sbin/ip6tables", "-w", "-P", "FORWARD", "ACCEPT"]).succeeded)
        try createIPv6Network(isInternal: false)
        XCTAssertEqual([ipv6Forwarding("all"), ipv6Forwarding("default")], ["1", "1"])
        // As dockerd: the host routes nothing else than before.
        XCTAssertTrue(Shell.inNamespace(host, policy).output.contains("-P FORWARD DROP"), Shell.inNamespace(host, policy).both)

        setIPv6Forwarding("0")
        let doctor = swiftnet(["doctor"])
        XCTAssertEqual(doctor.status, 1, doctor.both)
        XCTAssertTrue(doctor.output.contains("[ipv6-forwarding-off]"), doctor.both)
        let fixed = swiftnet(["doctor", "--fix"])
        XCTAssertEqual(fixed.status, 0, fixed.both)
        XCTAssertEqual(ipv6Forwarding(), "1")
        XCTAssertFalse(swiftnet(["doctor"]).output.contains("[ipv6-forwarding-off]"))
    }
}
