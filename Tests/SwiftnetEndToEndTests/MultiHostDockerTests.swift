import Foundation
import SwiftnetClient
import SwiftnetEtcdFixture
import SwiftnetTestSupport
import XCTest

/// dockerd on this host and a second "host" (a namespace with its own swiftnet server, the
/// test playing its dockerd) on one multi-host network through a real etcd: `docker network
/// create --ipam-opt swiftnet.network=NAME`, `docker run` reaching a container on the other
/// host by address and, through `--dns <gateway>`, by name.
final class MultiHostDockerTests: DockerTestCase {
    var etcd: EtcdServer?
    var remote: ServerProcess?
    var remoteClient: UnixHTTPClient?
    let octet = Int.random(in: 1...250)
    var underlay: String { "swtest-e2eul-\(tag)" }
    var remoteHost: String { "swtest-e2eh2-\(tag)" }
    var rootLink: String { "swtu\(tag)" }
    var rootAddress: String { "10.199.\(octet).254" }
    var remoteAddress: String { "10.199.\(octet).2" }

    func sh(_ result: Shell.Result, file: StaticString = #filePath, line: UInt = #line) throws {
        guard result.succeeded else {
            XCTFail(result.both, file: file, line: line)
            throw Shell.Failure(description: result.both)
        }
    }

    /// The underlay (a bridge in a namespace, this host on it by a veth), etcd on this host's
    /// underlay address, and this host's server given the multi-host flags.
    override func prepareServer(_ server: ServerProcess) throws {
        guard EtcdServer.isInstalled else { throw XCTSkip("needs etcd-server (/usr/bin/etcd)") }
        // The underlay stays until this host's server has stopped (it revokes its lease in etcd).
        namespaces.append(remoteHost)
        try sh(Shell.ip("netns", "add", underlay))
        try sh(Shell.ip("-n", underlay, "link", "add", "ul0", "type", "bridge"))
        try sh(Shell.ip("-n", underlay, "link", "set", "ul0", "up"))
        try sh(Shell.ip("link", "add", rootLink, "type", "veth", "peer", "name", "up0", "netns", underlay))
        try sh(Shell.ip("-n", underlay, "link", "set", "up0", "master", "ul0", "up"))
        try sh(Shell.ip("addr", "add", "\(rootAddress)/24", "dev", rootLink))
        try sh(Shell.ip("link", "set", rootLink, "up"))
        let etcd = try EtcdServer(host: rootAddress)
        self.etcd = etcd
        server.extraArguments += ["--etcd-endpoints", etcd.url, "--advertise-address", rootAddress, "--node-name", "docker-\(tag)",
                                  "--lease-ttl", "3"]

        try sh(Shell.ip("netns", "add", remoteHost))
        try sh(Shell.ip("-n", underlay, "link", "add", "ul2", "type", "veth", "peer", "name", "eth0", "netns", remoteHost))
        try sh(Shell.ip("-n", underlay, "link", "set", "ul2", "master", "ul0", "up"))
        try sh(Shell.ip("-n", remoteHost, "addr", "add", "\(remoteAddress)/24", "dev", "eth0"))
        try sh(Shell.ip("-n", remoteHost, "link", "set", "eth0", "up"))
        try sh(Shell.ip("-n", remoteHost, "link", "set", "lo", "up"))
        let remote = ServerProcess()
        remote.namespace = remoteHost
        remote.extraArguments = ["--etcd-endpoints", etcd.url, "--advertise-address", remoteAddress, "--node-name", "remote-\(tag)",
                                 "--lease-ttl", "3"]
        try remote.start()
        self.remote = remote
        remoteClient = try remote.client()
    }

    override func tearDownWithError() throws {
        remoteClient?.close()
        remote?.cleanUp()
        try super.tearDownWithError()
        etcd?.stop()
        etcd = nil
        Shell.ip("netns", "del", underlay)
        Shell.ip("link", "del", rootLink)
        XCTAssertFalse(Shell.linkNames().contains(rootLink))
    }

    func testDockerContainersReachAContainerOnAnotherHostByAddressAndName() throws {
        let name = "e2e-\(tag)"
        let subnet = "10.91.\(octet).0/24"
        let network = try createNetwork(["--ipam-opt", "swiftnet.network=\(name)", "--subnet", subnet])
        let local = try runContainer("local", network: network.name)
        let localAddress = try containerIPv4(local, network: network.name)

        // The other host: its dockerd's calls played over its own socket (Docker 29 names the container).
        let client = try XCTUnwrap(remoteClient)
        let pool = try client.requestPool("", options: #"{"swiftnet.network":"\#(name)"}"#)
        XCTAssertEqual(pool.pool, subnet)
        let gatewayCIDR = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let gateway = String(gatewayCIDR.split(separator: "/")[0])
        let localGateway = Shell.run("/usr/sbin/ip", ["-4", "addr", "show", "swn-" + network.id.prefix(10)]).output
        XCTAssertTrue(localGateway.contains("inet \(gatewayCIDR)"), "one gateway on both hosts: \(localGateway)")
        let networkID = Shell.randomHex(64)
        let created = try client.call("/NetworkDriver.CreateNetwork",
            #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gatewayCIDR)","Pool":"\#(pool.pool)"}],"IPv6Data":[],"NetworkID":"\#(networkID)","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":{}}}"#)
        XCTAssertEqual(created.status, 200, "\(created.object)")
        let cidr = try client.requestAddress(pool: pool.id, options: #"{"com.docker.network.endpoint.name":"backend-\#(tag)"}"#)
        let endpointID = Shell.randomHex(64)
        XCTAssertEqual(try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(endpointID)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(networkID)","Options":{}}"#).status, 200)
        let join = try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(endpointID)","NetworkID":"\#(networkID)","Options":{},"SandboxKey":"/var/run/docker/netns/test"}"#)
        XCTAssertEqual(join.status, 200, "\(join.object)")
        let source = try XCTUnwrap((join.object["InterfaceName"] as? [String: String])?["SrcName"])
        let container = "swtest-e2ec-\(tag)"
        namespaces.append(container)
        let backend = String(cidr.split(separator: "/")[0])
        for step in [
            Shell.ip("netns", "add", container),
            Shell.ip("-n", remoteHost, "link", "set", source, "netns", container),
            Shell.ip("-n", container, "link", "set", source, "name", "eth0"),
            Shell.ip("-n", container, "addr", "add", cidr, "dev", "eth0"),
            Shell.ip("-n", container, "link", "set", "eth0", "up"),
            Shell.ip("-n", container, "route", "add", "default", "via", gateway),
        ] { try sh(step) }

        var reached = false
        for _ in 0..<30 where !reached {
            reached = exec(local, ["ping", "-c", "1", "-W", "1", backend]).succeeded
        }
        XCTAssertTrue(reached, "docker container → container on the other host\n\(server?.log.suffix(2000) ?? "")")
        XCTAssertTrue(Shell.inNamespace(container, [Self.busybox, "ping", "-c", "1", "-W", "2", localAddress]).succeeded,
                      "other host → docker container")
        // By name: dockerd's embedded resolver forwards what it does not know to --dns.
        let asker = try runContainer("asker", network: network.name, extra: ["--dns", gateway])
        var answer: [String] = []
        for _ in 0..<20 where !answer.contains(backend) {
            answer = Self.nslookupAddresses(exec(asker, ["nslookup", "backend-\(tag)"]).output)
            if !answer.contains(backend) { usleep(250_000) }
        }
        XCTAssertEqual(answer, [backend], "backend-\(tag) through dockerd's resolver and swiftnet's on the gateway")

        // The other host's container leaves: gone from this host's FDB within a second.
        XCTAssertEqual(try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(endpointID)","NetworkID":"\#(networkID)"}"#).status, 200)
        let vxlan = "swx-" + network.id.prefix(10)
        let start = Date()
        var gone = false
        while !gone && Date().timeIntervalSince(start) < 3 {
            gone = !Shell.run("/usr/sbin/bridge", ["fdb", "show", "dev", vxlan]).output.contains("dst \(remoteAddress)")
            if !gone { usleep(20_000) }
        }
        XCTAssertTrue(gone)
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
    }
}
