import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// `swiftnet gc --docker` against a real dockerd: a `docker network rm` while swiftnet was
/// down (dockerd ignores the failed DeleteNetwork and never asks again) and a pool nobody
/// released are found by comparing with Docker's own list, and only those go.
final class DockerForgottenNetworkTests: DockerTestCase {
    func gc(_ arguments: [String]) -> Shell.Result {
        Shell.run(ServerProcess.binary, ["gc", "--docker", "--socket", Self.pluginSocket] + arguments, timeout: 60)
    }

    func state() throws -> [String: Any] {
        let client = try UnixHTTPClient(socketPath: Self.pluginSocket)
        defer { client.close() }
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try client.get("/state").body)) as? [String: Any])
    }

    func ids(_ state: [String: Any], _ key: String) -> Set<String> {
        Set((state[key] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
    }

    /// An endpoint Docker does not have (as after a crash between Leave and DeleteEndpoint,
    /// with swiftnet down longer than dockerd retries), with an address of the network's pool.
    func createStrayEndpointWithAddress(on network: Network) throws -> (id: String, veth: String, address: String) {
        let client = try UnixHTTPClient(socketPath: Self.pluginSocket)
        defer { client.close() }
        let pool = try XCTUnwrap(((try state()["networks"] as? [[String: Any]])?.first { $0["id"] as? String == network.id }?["subnets"]
            as? [[String: Any]])?.first?["poolID"] as? String)
        let address = try client.requestAddress(pool: pool)
        let id = Shell.randomHex(64)
        let created = try client.call("/NetworkDriver.CreateEndpoint", """
            {"NetworkID":"\(network.id)","EndpointID":"\(id)","Interface":{"Address":"\(address)"},"Options":{}}
            """)
        XCTAssertEqual(created.status, 200, "\(created.object)")
        let veth = "swv" + id.prefix(11)
        XCTAssertTrue(Shell.linkNames().contains(veth))
        return (id, veth, address)
    }

    func createStrayEndpoint(on network: Network) throws -> (id: String, veth: String) {
        let made = try createStrayEndpointWithAddress(on: network)
        return (made.id, made.veth)
    }

    func testANetworkRemovedWhileSwiftnetWasDownAStrayEndpointAndALostPoolAreFreedOnlyByGCDocker() throws {
        let server = try XCTUnwrap(server)
        let gone = try createNetwork()
        let kept = try createNetwork()
        let goneBridge = "swn-" + gone.id.prefix(10)
        // A pool whose RequestPool answer dockerd never got: no network, no Docker subnet.
        let client = try UnixHTTPClient(socketPath: Self.pluginSocket)
        let lostPool = try client.requestPool(try freeSubnet().cidr)
        client.close()
        let (strayEndpoint, strayVeth, strayAddress) = try createStrayEndpointWithAddress(on: kept)

        server.kill9()
        // dockerd retries DeleteNetwork for a while, then removes the network anyway.
        try docker(["network", "rm", gone.name], timeout: 120)
        networks.removeAll { $0 == gone.name }
        try server.start()
        var before = try state()
        XCTAssertTrue(ids(before, "networks").contains(gone.id), "swiftnet still holds the removed network: nobody told it")
        XCTAssertTrue(Shell.linkNames().contains(goneBridge))

        // Not Docker on --docker-socket (swiftnet's own socket answers 404): an error, nothing changed.
        let wrong = gc(["--docker-socket", Self.pluginSocket, "--minimum-age", "0"])
        XCTAssertEqual(wrong.status, 1, wrong.both)
        XCTAssertTrue(wrong.error.contains("nothing was changed"), wrong.both)
        // The default minimum age keeps everything made a minute ago or less.
        let young = gc([])
        XCTAssertEqual(young.status, 0, young.both)
        XCTAssertTrue(young.output.contains("nothing to free"), young.both)
        // A dry run names both and changes nothing.
        let dry = gc(["--dry-run", "--minimum-age", "0"])
        XCTAssertEqual(dry.status, 0, dry.both)
        XCTAssertTrue(dry.output.contains("would delete network \(gone.id.prefix(12))"), dry.both)
        XCTAssertTrue(dry.output.contains("would release pool \(lostPool.id)"), dry.both)
        XCTAssertTrue(dry.output.contains("would delete endpoint \(strayEndpoint.prefix(12))"), dry.both)
        XCTAssertFalse(dry.output.contains("delete network \(kept.id.prefix(12))"), dry.both)
        XCTAssertEqual(ids(try state(), "networks"), ids(before, "networks"))
        XCTAssertEqual(ids(try state(), "pools"), ids(before, "pools"))

        let run = gc(["--minimum-age", "0", "--json"])
        XCTAssertEqual(run.status, 0, run.both)
        let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any], run.both)
        XCTAssertEqual((report["networks"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [gone.id], run.both)
        let releasedPools = Set((report["pools"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
        XCTAssertTrue(releasedPools.contains(lostPool.id), run.both)
        XCTAssertEqual(releasedPools.count, 2, "the lost pool and the removed network's: \(run.both)")
        XCTAssertEqual((report["endpoints"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, [strayEndpoint], run.both)
        let freedAddresses = ((report["gc"] as? [String: Any])?["addresses"] as? [[String: Any]])?.compactMap { $0["address"] as? String }
        XCTAssertEqual(freedAddresses, [String(strayAddress.split(separator: "/")[0])], "gc frees the deleted endpoint's address: \(run.both)")
        XCTAssertFalse(Shell.linkNames().contains(strayVeth), "the endpoint's veth is deleted")

        before = try state()
        XCTAssertEqual(ids(before, "networks"), [kept.id])
        XCTAssertFalse(Shell.linkNames().contains(goneBridge), "the removed network's bridge is deleted")
        let poolNetworks = (before["pools"] as? [[String: Any]] ?? []).map { $0["network"] as? String }
        XCTAssertEqual(poolNetworks, [kept.id], "only the kept network's pool is left: \(before["pools"] ?? [])")
        XCTAssertEqual((before["pools"] as? [[String: Any]])?.first?["allocated"] as? Int, 1, "only its gateway: \(before["pools"] ?? [])")
        XCTAssertTrue((before["endpoints"] as? [Any] ?? []).isEmpty, "\(before["endpoints"] ?? [])")
        // The kept network still works.
        let container = try runContainer("after", network: kept.name)
        XCTAssertFalse(try containerIPv4(container, network: kept.name).isEmpty)
        // And a second run has nothing to do.
        let again = gc(["--minimum-age", "0"])
        XCTAssertEqual(again.status, 0, again.both)
        XCTAssertTrue(again.output.contains("nothing to free"), again.both)
    }

    /// With no server running, `gc --docker` works on the state file itself.
    func testWithNoServerRunningGCDockerWorksOnTheStateFile() throws {
        let server = try XCTUnwrap(server)
        let gone = try createNetwork()
        let goneBridge = "swn-" + gone.id.prefix(10)
        let kept = try createNetwork()
        let (strayEndpoint, strayVeth) = try createStrayEndpoint(on: kept)
        server.kill9()
        try docker(["network", "rm", gone.name], timeout: 120)
        networks.removeAll { $0 == gone.name }
        let run = Shell.run(ServerProcess.binary, ["gc", "--docker", "--socket", server.folder + "/none.sock", "--state", server.statePath,
                                                   "--minimum-age", "0"], timeout: 60)
        XCTAssertEqual(run.status, 0, run.both)
        XCTAssertTrue(run.output.contains("deleted network \(gone.id.prefix(12))"), run.both)
        XCTAssertTrue(run.output.contains("released pool"), run.both)
        XCTAssertTrue(run.output.contains("deleted endpoint \(strayEndpoint.prefix(12))"), run.both)
        XCTAssertFalse(Shell.linkNames().contains(goneBridge), "the removed network's bridge is deleted")
        XCTAssertFalse(Shell.linkNames().contains(strayVeth), "the endpoint's veth is deleted before the command ends")
        try server.start()
        let after = try state()
        XCTAssertFalse(ids(after, "networks").contains(gone.id))
        XCTAssertEqual((after["pools"] as? [[String: Any]] ?? []).map { $0["network"] as? String }, [kept.id], "\(after["pools"] ?? [])")
        XCTAssertEqual((after["pools"] as? [[String: Any]])?.first?["allocated"] as? Int, 1, "gc freed the endpoint's address")
    }
}
