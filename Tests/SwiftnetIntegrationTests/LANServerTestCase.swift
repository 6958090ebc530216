import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// The real server, run inside a throw-away "host" namespace whose `eth0` is a veth to a "LAN"
/// namespace (bridge `br0` with the LAN's gateway .1): the test plays dockerd (IPAM calls,
/// driver calls, moving the container's interface into a namespace) for macvlan and ipvlan
/// networks. Deleting the namespaces deletes every link in them, even after a failure.
class LANServerTestCase: XCTestCase {
    var server: ServerProcess!
    var client: UnixHTTPClient!
    var namespaces: [String] = []
    var host = "", lan = ""
    /// 10.214.third.0/24
    var third = 0
    let chainPrefix = "SWL" + Shell.randomHex(6).uppercased()

    struct TestNetwork {
        var id: String
        var poolID: String
        var subnet: String
        var gateway: String
    }

    struct TestContainer {
        var endpointID: String
        var address: String
        var namespace: String
        var mac: String?
    }

    override func setUpWithError() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for namespaces and netlink") }
        third = Int.random(in: 0...250)
        host = try newNamespace("host")
        lan = try newNamespace("lan")
        try sh("-n", host, "link", "add", "eth0", "type", "veth", "peer", "name", "lan0", "netns", lan)
        try sh("-n", lan, "link", "add", "br0", "type", "bridge")
        try sh("-n", lan, "link", "set", "lan0", "master", "br0")
        try sh("-n", lan, "addr", "add", lanGateway + "/24", "dev", "br0")
        for link in ["lan0", "br0"] { try sh("-n", lan, "link", "set", link, "up") }
        try sh("-n", host, "link", "set", "eth0", "up")
        server = ServerProcess()
        server.namespace = host
        server.extraArguments = ["--chain-prefix", chainPrefix]
        try server.start()
        client = try server.client()
    }

    override func tearDownWithError() throws {
        client?.close()
        server?.cleanUp()
        for namespace in namespaces { Shell.ip("netns", "del", namespace) }
    }

    func address(_ n: Int) -> String { "10.214.\(third).\(n)" }
    var subnet: String { "10.214.\(third).0/24" }
    var lanGateway: String { address(1) }

    func newNamespace(_ role: String) throws -> String {
        let name = "swl-\(role)-" + Shell.randomHex(6)
        namespaces.append(name)
        try sh("netns", "add", name)
        try sh("-n", name, "link", "set", "lo", "up")
        return name
    }

    @discardableResult
    func sh(_ arguments: String..., file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = Shell.run(Shell.ipTool, arguments)
        guard result.status == 0 else {
            XCTFail("ip \(arguments.joined(separator: " ")): \(result.both)", file: file, line: line)
            throw CocoaError(.executableLoad)
        }
        return result.output
    }

    /// The host namespace's links (the server's view), but loopback.
    func hostLinks() throws -> [String] {
        try sh("-n", host, "-o", "link", "show").split(separator: "\n").compactMap { line in
            let parts = line.split(separator: ":", maxSplits: 2)
            guard parts.count >= 2 else { return nil }
            return String(parts[1].trimmingCharacters(in: .whitespaces).split(separator: "@")[0])
        }.filter { $0 != "lo" }
    }

    /// RequestPool (with `--ipam-opt`s), the gateway, aux addresses, CreateNetwork. Returns the
    /// CreateNetwork answer's status and body, and the network (valid when 200).
    /// `subnet`: another than the test's own (a second network while the first holds it).
    /// A refused network's pool and gateway are released, as dockerd does.
    func createNetwork(generic: [String: String], ipamOptions: [String: String] = [:], aux: [String: String] = [:],
                       subnet: String? = nil,
                       file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int, body: [String: Any], network: TestNetwork) {
        let subnet = subnet ?? self.subnet
        let pool = try client.requestPool(subnet, options: Self.json(ipamOptions))
        let gatewayCIDR = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        var auxCIDRs: [String: String] = [:]
        for (name, wanted) in aux { auxCIDRs[name] = try client.requestAddress(pool: pool.id, address: wanted) }
        let id = Shell.randomHex(64)
        let body = #"{"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gatewayCIDR)","Pool":"\#(subnet)","AuxAddresses":\#(Self.json(auxCIDRs))}],"IPv6Data":[],"NetworkID":"\#(id)","Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":\#(Self.json(generic))}}"#
        let (status, object) = try client.call("/NetworkDriver.CreateNetwork", body)
        if status != 200 {
            for cidr in auxCIDRs.values { try client.releaseAddress(pool: pool.id, address: String(cidr.split(separator: "/")[0])) }
            try client.releaseAddress(pool: pool.id, address: String(gatewayCIDR.split(separator: "/")[0]))
            XCTAssertEqual(try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(pool.id)"}"#).status, 200)
        }
        return (status, object, TestNetwork(id: id, poolID: pool.id, subnet: subnet, gateway: String(gatewayCIDR.split(separator: "/")[0])))
    }

    static func json(_ map: [String: String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: map, options: [.sortedKeys]), as: UTF8.self)
    }

    /// RequestAddress, CreateEndpoint, Join, then what libnetwork does: move the interface into
    /// the sandbox, rename it, address, up, the gateway or the connected routes Join gave.
    func addContainer(to network: TestNetwork, mac: String = "", file: StaticString = #filePath, line: UInt = #line)
        throws -> TestContainer {
        let cidr = try client.requestAddress(pool: network.poolID)
        let endpointID = Shell.randomHex(64)
        let create = try client.call("/NetworkDriver.CreateEndpoint",
            #"{"EndpointID":"\#(endpointID)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":"\#(mac)"},"NetworkID":"\#(network.id)","Options":{}}"#)
        XCTAssertEqual(create.status, 200, "\(create.object)\n\(server.log.suffix(1500))", file: file, line: line)
        guard create.status == 200 else { throw CocoaError(.featureUnsupported) }
        let join = try client.call("/NetworkDriver.Join",
            #"{"EndpointID":"\#(endpointID)","NetworkID":"\#(network.id)","Options":{},"SandboxKey":"/var/run/docker/netns/test"}"#)
        XCTAssertEqual(join.status, 200, "\(join.object)", file: file, line: line)
        let names = join.object["InterfaceName"] as? [String: String]
        let source = try XCTUnwrap(names?["SrcName"], file: file, line: line)
        let container = try newNamespace("c")
        try sh("-n", host, "link", "set", source, "netns", container)
        try sh("-n", container, "link", "set", source, "name", "eth0")
        try sh("-n", container, "addr", "add", cidr, "dev", "eth0")
        try sh("-n", container, "link", "set", "eth0", "up")
        if let gateway = join.object["Gateway"] as? String, !gateway.isEmpty {
            try sh("-n", container, "route", "add", "default", "via", gateway)
        }
        for route in join.object["StaticRoutes"] as? [[String: Any]] ?? [] {
            let destination = try XCTUnwrap(route["Destination"] as? String)
            try sh("-n", container, "route", "add", destination == "0.0.0.0/0" ? "default" : destination, "dev", "eth0")
        }
        return TestContainer(endpointID: endpointID, address: String(cidr.split(separator: "/")[0]), namespace: container,
                             mac: (create.object["Interface"] as? [String: Any])?["MacAddress"] as? String)
    }

    /// As dockerd when a container stops: the sandbox gives the interface back (renamed to
    /// its source name, moved to the host's namespace), Leave, the namespace goes,
    /// DeleteEndpoint, ReleaseAddress. `giveBack` false: the namespace went with the child in
    /// it (a container that died with dockerd down).
    func removeContainer(_ container: TestContainer, from network: TestNetwork, giveBack: Bool = true) throws {
        if giveBack {
            let source = "swc" + container.endpointID.prefix(11)
            try sh("-n", container.namespace, "link", "set", "eth0", "down")
            try sh("-n", container.namespace, "link", "set", "eth0", "name", source)
            try sh("-n", container.namespace, "link", "set", source, "netns", host)
        }
        XCTAssertEqual(try client.call("/NetworkDriver.Leave", #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
        Shell.ip("netns", "del", container.namespace)
        namespaces.removeAll { $0 == container.namespace }
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(container.endpointID)","NetworkID":"\#(network.id)"}"#).status, 200)
        try client.releaseAddress(pool: network.poolID, address: container.address)
    }

    /// As `docker network rm`.
    func deleteNetwork(_ network: TestNetwork) throws {
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(network.id)"}"#).status, 200)
        try client.releaseAddress(pool: network.poolID, address: network.gateway)
        XCTAssertEqual(try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(network.poolID)"}"#).status, 200)
    }

    /// A few tries: the first may race carrier and neighbour discovery.
    func reaches(_ namespace: String, _ target: String) -> Bool {
        for _ in 0..<3 where ping(namespace, target) { return true }
        return false
    }

    /// Two echo requests, one second for an answer.
    func ping(_ namespace: String, _ target: String) -> Bool {
        Shell.inNamespace(namespace, ["/bin/busybox", "ping", "-c", "2", "-W", "1", target], timeout: 10).succeeded
    }

    /// Network ids in the server's state.
    func recordedNetworks() throws -> [String] {
        let response = try client.get("/state")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        return (object?["networks"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }
}
