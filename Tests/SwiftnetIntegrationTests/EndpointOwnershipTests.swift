import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// Whose address, whose veth: the network driver and the IPAM together, with real netlink in
/// throw-away namespaces. A container renamed and a new one under its name each keep their
/// own address and MAC; a CreateEndpoint that is refused touches no other endpoint's link;
/// no delete by name takes a link whose alias names another endpoint.
extension BridgeDataplaneTests {
    func createEndpoint(_ network: TestNetwork, id: String, cidr: String) throws -> (status: Int, object: [String: Any]) {
        try client.call("/NetworkDriver.CreateEndpoint",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(id)","Interface":{"Address":"\#(cidr)","AddressIPv6":"","MacAddress":""},"Options":{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}}"# + "\n")
    }

    /// A veth pair `name`/`swt<8 hex>` made by hand (this kernel has no dummy links), listed
    /// for tearDown; with `alias` as the alias of `name`.
    func foreignLink(_ name: String, alias: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
        let peer = "swt" + Shell.randomHex(8)
        links += [name, peer]
        let made = Shell.ip("link", "add", name, "type", "veth", "peer", "name", peer)
        XCTAssertTrue(made.succeeded, made.both, file: file, line: line)
        if let alias { XCTAssertTrue(Shell.ip("link", "set", name, "alias", alias).succeeded, file: file, line: line) }
    }

    func alias(of link: String) -> String? {
        let shown = Shell.ip("-d", "-o", "link", "show", link)
        guard shown.succeeded, let range = shown.output.range(of: " alias ") else { return nil }
        return String(shown.output[range.upperBound...].prefix { !$0.isWhitespace && $0 != "\\" })
    }

    /// `docker run --name web; docker rename web web-old; docker run --name web;
    /// docker rm -f web-old` with Docker 29's named requests.
    func testRenamedContainerAndItsSuccessorKeepTheirOwnAddressAndMAC() throws {
        let network = try createNetwork()
        let old = try addContainer(to: network, name: "web")
        let new = try addContainer(to: network, name: "web")
        XCTAssertNotEqual(new.address, old.address)
        XCTAssertNotEqual(new.mac, old.mac)
        XCTAssertTrue(ping(from: new.namespace, old.address).succeeded, "both run, each on its own address")
        try removeContainer(old, from: network)  // rm -f web-old
        XCTAssertTrue(ping(from: new.namespace, network.gateway).succeeded, "the new web keeps working")
        let (status, object) = try client.call("/IpamDriver.RequestAddress",
            #"{"PoolID":"\#(network.poolID)","Address":"\#(new.address)","Options":{"com.docker.network.endpoint.name":"third"}}"#)
        XCTAssertEqual(status, 500, "--ip of the new web's address: \(object)")
    }

    /// The address a crashed server committed was answered after all if an endpoint took it:
    /// a request of the same name then is another container's.
    func testCrashRetryIsNeverGivenAnAddressAnEndpointTook() throws {
        let network = try createNetwork()
        XCTAssertEqual(server.terminate(), 0)
        server.environment = ["SWIFTNET_CRASH_AT": "ipam.RequestAddress.committed"]
        try server.start()
        client = try server.client()
        _ = try? client.call("/IpamDriver.RequestAddress",
            #"{"PoolID":"\#(network.poolID)","Address":"","Options":{"com.docker.network.endpoint.name":"web"}}"#)
        XCTAssertTrue(server.waitForCrash(seconds: 5), server.log.suffix(2000).description)
        server.environment = [:]
        try server.start()
        client = try server.client()
        // The first address after the gateway: what the crashed server committed.
        let committed = network.gateway.split(separator: ".").dropLast().joined(separator: ".") + ".2"
        let id = Shell.randomHex(64)
        links.append("swv" + id.prefix(11))  // stays in this namespace: no container takes its peer
        let endpoint = try createEndpoint(network, id: id, cidr: committed + "/24")
        XCTAssertEqual(endpoint.status, 200, "\(endpoint.object)")
        let again = try client.requestAddress(pool: network.poolID, options: #"{"com.docker.network.endpoint.name":"web"}"#)
        XCTAssertNotEqual(String(again.split(separator: "/")[0]), committed, "an endpoint holds \(committed)")
    }

    /// Two endpoint ids with the same first 11 hex digits would share `swv<11>`: the second
    /// CreateEndpoint is refused before any change, and the first endpoint keeps its veth,
    /// its record and its traffic.
    func testEndpointIDsSharingTheirVethNameAreRefusedWithoutTouchingTheFirst() throws {
        let network = try createNetwork()
        let shared = Shell.randomHex(11)
        let firstID = shared + Shell.randomHex(53)
        let first = try addContainer(to: network, endpointID: firstID)
        let veth = "swv" + shared
        XCTAssertEqual(alias(of: veth), firstID, "the host veth names its endpoint")

        let secondID = shared + Shell.randomHex(53)
        let cidr = try client.requestAddress(pool: network.poolID)
        let (status, object) = try createEndpoint(network, id: secondID, cidr: cidr)
        XCTAssertEqual(status, 500, "\(object)")
        let error = object["Err"] as? String ?? ""
        XCTAssertTrue(error.contains(veth) && error.contains(firstID) && error.contains("first 11 hex digits"), error)
        // dockerd cleans up after the refusal: harmless for the first endpoint.
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteEndpoint", #"{"EndpointID":"\#(secondID)","NetworkID":"\#(network.id)"}"#).status, 200)
        usleep(200_000)  // a retired veth would be deleted 50 ms after

        XCTAssertTrue(Shell.linkNames().contains(veth), "the first endpoint's veth is still there")
        XCTAssertTrue(ping(from: first.namespace, network.gateway).succeeded, "and still works")
        XCTAssertEqual(try currentState().endpoints[firstID], veth)
        // Its record is whole on disk too.
        XCTAssertEqual(server.terminate(), 0)
        try server.start()
        client = try server.client()
        XCTAssertEqual(try currentState().endpoints[firstID], veth)
        XCTAssertTrue(ping(from: first.namespace, network.gateway).succeeded)
    }

    /// A link that already has the name (not swiftnet's) makes CreateEndpoint fail; the
    /// roll-back leaves that link alone.
    func testRefusedCreateLeavesAForeignLinkOfTheSameNameAlone() throws {
        let network = try createNetwork()
        let id = Shell.randomHex(64)
        let name = "swv" + id.prefix(11)
        foreignLink(name)
        let cidr = try client.requestAddress(pool: network.poolID)
        let (status, object) = try createEndpoint(network, id: id, cidr: cidr)
        XCTAssertEqual(status, 500, "\(object)")
        XCTAssertTrue(Shell.linkNames().contains(name), "the roll-back deleted a link it did not make")
        XCTAssertEqual(try currentState().endpoints[id], nil)
    }

    /// The veth of an endpoint went with its container while swiftnet was down, and a link of
    /// the same name now belongs to another endpoint (its alias says so): start-up frees the
    /// endpoint without deleting that link, and so does DeleteNetwork.
    func testNoDeleteByNameTakesALinkWhoseAliasNamesAnotherEndpoint() throws {
        let network = try createNetwork()
        let gone = try addContainer(to: network)
        let lingering = try addContainer(to: network)
        XCTAssertEqual(server.terminate(), 0)
        for container in [gone, lingering] {
            Shell.ip("netns", "del", container.namespace)
            namespaces.removeAll { $0 == container.namespace }
        }
        // Deleting the namespace deletes the pair; wait (bounded) until the kernel has.
        for _ in 0..<100 where Shell.linkNames().contains("swv" + gone.endpointID.prefix(11)) { usleep(20_000) }
        var impostors: [String] = []
        for container in [gone, lingering] {
            let name = "swv" + container.endpointID.prefix(11)
            impostors.append(name)
            foreignLink(name, alias: Shell.randomHex(64))
        }

        try server.start()
        client = try server.client()
        let state = try currentState()
        XCTAssertNil(state.endpoints[gone.endpointID], "its veth is gone: the endpoint is freed")
        XCTAssertNil(state.endpoints[lingering.endpointID])
        XCTAssertTrue(server.log.contains("its veth \(impostors[0]) is gone"), server.log.suffix(3000).description)
        for name in impostors { XCTAssertTrue(Shell.linkNames().contains(name), "start-up deleted \(name), another endpoint's") }

        // DeleteNetwork with an endpoint record left (a container gone with an old dockerd).
        let third = try addContainer(to: network)
        let thirdVeth = "swv" + third.endpointID.prefix(11)
        Shell.ip("netns", "del", third.namespace)
        namespaces.removeAll { $0 == third.namespace }
        for _ in 0..<100 where Shell.linkNames().contains(thirdVeth) { usleep(20_000) }
        foreignLink(thirdVeth, alias: Shell.randomHex(64))
        XCTAssertEqual(try client.call("/NetworkDriver.DeleteNetwork", #"{"NetworkID":"\#(network.id)"}"#).status, 200)
        XCTAssertTrue(Shell.linkNames().contains(thirdVeth), "DeleteNetwork deleted another endpoint's link")
    }
}
