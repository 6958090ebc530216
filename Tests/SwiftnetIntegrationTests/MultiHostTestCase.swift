import Foundation
import SwiftnetClient
import SwiftnetEtcd
import SwiftnetEtcdFixture
import SwiftnetTestSupport
import XCTest

/// Three (or more) "hosts" as namespaces on an underlay bridge, each running its own
/// `swiftnet serve --etcd-endpoints … --advertise-address …` with its own state and socket,
/// and a real etcd the hosts reach over the underlay (it listens on a test-made veth into the
/// underlay namespace). The test plays each host's dockerd: IPAM and driver calls over that
/// host's socket, containers as namespaces given the endpoint's veth. Everything is deleted in
/// tearDown, failed or not.
class MultiHostTestCase: XCTestCase {
    let tag = Shell.randomHex(6)
    /// 10.199.<octet>.0/24: the underlay.
    let octet = Int.random(in: 1...250)
    var underlay = ""
    var rootLink = ""
    var etcd: EtcdServer!
    var hosts: [Host] = []
    var namespaces: [String] = []
    /// The lease TTL every server runs with: a dead host leaves the others' FDBs this fast.
    var leaseTTL = 3

    final class Host: @unchecked Sendable {
        let index: Int
        let namespace: String
        let address: String
        let server: ServerProcess
        var client: UnixHTTPClient
        var name: String { "h\(index)" }

        init(index: Int, namespace: String, address: String, server: ServerProcess, client: UnixHTTPClient) {
            self.index = index
            self.namespace = namespace
            self.address = address
            self.server = server
            self.client = client
        }

        /// Restarts the server (after kill9 or terminate) on the same state and socket.
        func restart() throws {
            client.close()
            try server.start()
            client = try server.client()
        }
    }

    struct Network {
        let host: Host
        let id: String
        let poolID: String
        let subnet: String
        let gateway: String
        var bridge: String { "swn-" + id.prefix(10) }
        var vxlan: String { "swx-" + id.prefix(10) }
    }

    struct Container {
        let host: Host
        let endpointID: String
        let cidr: String
        let address: String
        let namespace: String
        let mac: String
    }

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for namespaces") }
        guard EtcdServer.isInstalled else { throw XCTSkip("needs etcd-server (/usr/bin/etcd)") }
        underlay = "swtest-mhul-\(tag)"
        rootLink = "swtu\(tag)"
        try sh(Shell.ip("netns", "add", underlay))
        namespaces.append(underlay)
        try sh(Shell.ip("-n", underlay, "link", "add", "ul0", "type", "bridge"))
        try sh(Shell.ip("-n", underlay, "link", "set", "ul0", "up"))
        try sh(Shell.ip("link", "add", rootLink, "type", "veth", "peer", "name", "up0", "netns", underlay))
        try sh(Shell.ip("-n", underlay, "link", "set", "up0", "master", "ul0", "up"))
        try sh(Shell.ip("addr", "add", "10.199.\(octet).254/24", "dev", rootLink))
        try sh(Shell.ip("link", "set", rootLink, "up"))
        etcd = try EtcdServer(host: "10.199.\(octet).254")
    }

    override func tearDownWithError() throws {
        for host in hosts {
            host.client.close()
            host.server.cleanUp()
        }
        for namespace in namespaces.reversed() { Shell.ip("netns", "del", namespace) }
        Shell.ip("link", "del", rootLink)
        etcd?.stop()
        etcd = nil
        XCTAssertFalse(Shell.linkNames().contains(rootLink), "underlay link left behind")
    }

    @discardableResult
    func sh(_ result: Shell.Result, file: StaticString = #filePath, line: UInt = #line) throws -> Shell.Result {
        guard result.succeeded else {
            XCTFail(result.both, file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        return result
    }

    func inHost(_ host: Host, _ arguments: String...) -> Shell.Result {
        Shell.inNamespace(host.namespace, arguments)
    }

    func addHost() throws -> Host {
        let index = hosts.count + 1
        let namespace = "swtest-mh\(index)-\(tag)"
        let address = "10.199.\(octet).\(index)"
        try sh(Shell.ip("netns", "add", namespace))
        namespaces.append(namespace)
        try sh(Shell.ip("-n", underlay, "link", "add", "ul\(index)", "type", "veth", "peer", "name", "eth0", "netns", namespace))
        try sh(Shell.ip("-n", underlay, "link", "set", "ul\(index)", "master", "ul0", "up"))
        try sh(Shell.ip("-n", namespace, "addr", "add", "\(address)/24", "dev", "eth0"))
        try sh(Shell.ip("-n", namespace, "link", "set", "eth0", "up"))
        try sh(Shell.ip("-n", namespace, "link", "set", "lo", "up"))
        let server = ServerProcess()
        server.namespace = namespace
        server.extraArguments = ["--etcd-endpoints", etcd.url, "--advertise-address", address, "--node-name", "h\(index)",
                                 "--lease-ttl", "\(leaseTTL)"]
        try server.start()
        let host = Host(index: index, namespace: namespace, address: address, server: server, client: try server.client())
        hosts.append(host)
        return host
    }

    // MARK: playing each host's dockerd

    /// RequestPool by name, the gateway, CreateNetwork with a network id of this host's own.
    func createNetwork(on host: Host, name: String, subnet: String = "", driverOptions: String = "{}",
                       file: StaticString = #filePath, line: UInt = #line) throws -> Network {
        let pool = try host.client.requestPool(subnet, options: #"{"swiftnet.network":"\#(name)"}"#)
        XCTAssertTrue(pool.id.hasPrefix("swiftnet-mh/"), pool.id, file: file, line: line)
        let gatewayCIDR = try host.client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let id = Shell.randomHex(64)
        let body = #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gatewayCIDR)","Pool":"\#(pool.pool)"}],"IPv6Data":[],"NetworkID":"\#(id)","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":\#(driverOptions)}}"#
        let (status, object) = try host.client.call("/NetworkDriver.CreateNetwork", body)
        XCTAssertEqual(status, 200, "\(object)\n\(host.server.log.suffix(3000))", file: file, line: line)
        return Network(host: host, id: id, poolID: pool.id, subnet: pool.pool, gateway: String(gatewayCIDR.split(separator: "/")[0]))
    }

    /// RequestAddress, CreateEndpoint, Join, then what libnetwork does: the veth into the
    /// sandbox, renamed, address and default route.
    func addContainer(to network: Network, name: String? = nil, file: StaticString = #filePath, line: UInt = #line) throws -> Container {
        let host = network.host
        let options = name.map { #"{"com.docker.network.endpoint.name":"\#($0)"}"# } ?? "null"
        let cidr = try host.client.requestAddress(pool: network.poolID, options: options)
        let endpointID = Shell.randomHex(64)
        let create = try host.client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(endpointID)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"NetworkID":"\#(network.id)","Options":{}}"#)
        XCTAssertEqual(create.status, 200, "\(create.object)", file: file, line: line)
        let mac = ((create.object["Interface"] as? [String: Any])?["MacAddress"] as? String) ?? ""
        let join = try host.client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(endpointID)","NetworkID":"\#(network.id)","Options":{},"SandboxKey":"/var/run/docker/netns/test"}"#)
        XCTAssertEqual(join.status, 200, "\(join.object)", file: file, line: line)
        let source = try XCTUnwrap((join.object["InterfaceName"] as? [String: String])?["SrcName"], file: file, line: line)
        let namespace = "swtest-mhc-" + Shell.randomHex(8)
        try sh(Shell.ip("netns", "add", namespace), file: file, line: line)
        namespaces.append(namespace)
        let address = String(cidr.split(separator: "/")[0])
        try sh(Shell.ip("-n", host.namespace, "link", "set", source, "netns", namespace), file: file, line: line)
        try sh(Shell.ip("-n", namespace, "link", "set", source, "name", "eth0"), file: file, line: line)
        try sh(Shell.ip("-n", namespace, "addr", "add", cidr, "dev", "eth0"), file: file, line: line)
        try sh(Shell.ip("-n", namespace, "link", "set", "eth0", "up"), file: file, line: line)
        try sh(Shell.ip("-n", namespace, "link", "set", "lo", "up"), file: file, line: line)
        if let gateway = join.object["Gateway"] as? String, !gateway.isEmpty {
            try sh(Shell.ip("-n", namespace, "route", "add", "default", "via", gateway), file: file, line: line)
        }
        return Container(host: host, endpointID: endpointID, cidr: cidr, address: address, namespace: namespace, mac: mac)
    }

    func removeContainer(_ container: Container, from network: Network) throws {
        let client = container.host.client
        XCTAssertEqual(try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
        Shell.ip("netns", "del", container.namespace)
        namespaces.removeAll { $0 == container.namespace }
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
        try client.releaseAddress(pool: network.poolID, address: container.address)
    }

    func ping(from namespace: String, _ address: String, wait: Int = 1) -> Bool {
        Shell.inNamespace(namespace, ["/bin/busybox", "ping", "-c", "1", "-W", "\(wait)", address], timeout: Double(wait) + 4).succeeded
    }

    /// The MACs of the permanent FDB entries on `network`'s VXLAN device.
    func forwardingMACs(_ network: Network) -> Set<String> {
        let output = Shell.inNamespace(network.host.namespace, ["/usr/sbin/bridge", "fdb", "show", "dev", network.vxlan]).output
        return Set(output.split(separator: "\n").filter { $0.contains("dst") && $0.contains("permanent") }
            .compactMap { $0.split(separator: " ").first.map { String($0).lowercased() } })
    }

    /// Polls `condition` every 20 ms for at most `seconds`; returns the seconds it took, or nil.
    func waitFor(seconds: Double, _ condition: () -> Bool) -> Double? {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if condition() { return Date().timeIntervalSince(start) }
            usleep(20_000)
        }
        return condition() ? Date().timeIntervalSince(start) : nil
    }

    /// The kinds of the doctor's findings on `host`.
    func doctorFindings(_ host: Host, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        let response = try host.client.get("/doctor")
        XCTAssertEqual(response.status, 200, String(decoding: response.body, as: UTF8.self), file: file, line: line)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        return ((object?["findings"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String }
    }

    func etcdClient() -> EtcdClient { EtcdClient(endpoints: [etcd.endpoint], timeoutSeconds: 3) }
}
