import SwiftnetAddress
import SwiftnetJSON
import SwiftnetOperator
import XCTest

/// `gc --docker`'s decision: which networks and pools Docker no longer has.
final class ForgottenByDockerTests: XCTestCase {
    let now = 1_800_000_000
    let old = 1_800_000_000 - 3_600

    func network(_ id: String, _ subnet: String, createdAt: Int?) -> NetworkView {
        NetworkView(id: id, bridge: "swn-" + id.prefix(10), state: "ready", mode: "nat", isInternal: false, ipv6: false, mtu: nil,
                    options: [:], subnets: [.init(prefix: subnet, gateway: nil, poolID: "LocalDefault/" + subnet)], endpointCount: 0,
                    capacity: nil, createdAt: createdAt)
    }

    func pool(_ subnet: String, network: String?, createdAt: Int?) -> PoolView {
        PoolView(id: "LocalDefault/" + subnet, addressSpace: "LocalDefault", prefix: subnet, subPool: nil, allocated: 1,
                 capacity: "254", networkID: network, createdAt: createdAt)
    }

    func state(networks: [NetworkView], pools: [PoolView]) -> StateView {
        StateView(server: ServerInfo(version: "t", running: true, statePath: "/s.db", chainPrefix: "SWIFTNET", linkGroup: 1, bootID: "b"),
                  networks: networks, endpoints: [], pools: pools)
    }

    func dockerList(_ text: String) throws -> DockerNetworkList {
        try DockerNetworkList(json: try JSONParser.parse(Array(text.utf8)))
    }

    let kept = String(repeating: "a", count: 64)
    let removed = String(repeating: "b", count: 64)
    let young = String(repeating: "c", count: 64)
    let unknownAge = String(repeating: "d", count: 64)

    func testNetworksDockerNoLongerListsAndTheirPoolsAreForgotten() throws {
        let view = state(
            networks: [network(kept, "10.1.0.0/24", createdAt: old), network(removed, "10.2.0.0/24", createdAt: old),
                       network(young, "10.3.0.0/24", createdAt: now - 5), network(unknownAge, "10.4.0.0/24", createdAt: nil)],
            pools: [pool("10.1.0.0/24", network: kept, createdAt: old), pool("10.2.0.0/24", network: removed, createdAt: old),
                    pool("10.3.0.0/24", network: young, createdAt: now - 5), pool("10.4.0.0/24", network: unknownAge, createdAt: nil),
                    // A lost RequestPool (no network, Docker has no such subnet), a pool another
                    // driver's network uses (Docker lists its subnet) and one asked for just now.
                    pool("10.5.0.0/24", network: nil, createdAt: old), pool("10.6.0.0/24", network: nil, createdAt: old),
                    pool("10.7.0.0/24", network: nil, createdAt: now - 59)])
        let docker = try dockerList("""
            [{"Name":"a","Id":"\(kept)","Driver":"swiftnet","IPAM":{"Driver":"swiftnet","Config":[{"Subnet":"10.1.0.0/24"}]}},
             {"Name":"bridge","Id":"\(String(repeating: "e", count: 64))","Driver":"bridge","IPAM":{"Driver":"default","Config":[{"Subnet":"10.6.0.0/24","Gateway":"10.6.0.1"}]}},
             {"Name":"none","Id":"\(String(repeating: "f", count: 64))","Driver":"null","IPAM":{"Driver":"default","Config":[]}},
             {"Name":"host","Id":"\(String(repeating: "9", count: 64))","Driver":"host","IPAM":{"Driver":"default","Config":null}}]
            """)
        let forgotten = ForgottenByDocker(state: view, docker: docker, now: now, minimumAge: 60)
        XCTAssertEqual(forgotten.networks.map(\.id), [removed])
        XCTAssertEqual(forgotten.pools.map(\.prefix), ["10.2.0.0/24", "10.5.0.0/24"])
        XCTAssertFalse(forgotten.isEmpty)
        // --minimum-age 0 takes the young ones too, never those of unknown age.
        let all = ForgottenByDocker(state: view, docker: docker, now: now, minimumAge: 0)
        XCTAssertEqual(all.networks.map(\.id), [removed, young])
        XCTAssertEqual(all.pools.map(\.prefix), ["10.2.0.0/24", "10.3.0.0/24", "10.5.0.0/24", "10.7.0.0/24"])
    }

    /// A pool whose network Docker still has stays even when Docker shows another subnet (the
    /// network's IPv6 pool, say), and a Docker subnet written differently still matches.
    func testAPoolOfANetworkDockerHasStays() throws {
        let view = state(networks: [network(kept, "fd00:1::/64", createdAt: old)],
                         pools: [pool("fd00:1::/64", network: kept, createdAt: old), pool("fd00:2::/64", network: nil, createdAt: old)])
        let docker = try dockerList(#"[{"Id":"\#(kept)","IPAM":{"Config":[{"Subnet":"fd00:0002:0::/64"}]}}]"#)
        XCTAssertTrue(ForgottenByDocker(state: view, docker: docker, now: now, minimumAge: 60).isEmpty)
    }

    /// Anything but a list of networks with ids is refused: an empty reading would make every
    /// network look forgotten.
    func testAnAnswerThatIsNotDockersNetworkListIsRefused() {
        for text in [#"{"message":"page not found"}"#, #"[{"Name":"x"}]"#, #"[{"Id":""}]"#, #"["a"]"#, "null"] {
            XCTAssertThrowsError(try dockerList(text), text) { error in
                guard case .notDocker = error as? OperatorError else { return XCTFail("\(text): \(error)") }
            }
        }
        XCTAssertEqual(try dockerList("[]").ids, [])
    }

    func endpoint(_ digit: Character, network: String, createdAt: Int?) -> EndpointView {
        let id = String(repeating: digit, count: 64)
        return EndpointView(id: id, networkID: network, containerName: nil, address: "10.1.0.9/24", addressIPv6: nil,
                            mac: "02:42:0a:01:00:09", hostVeth: "swv" + id.prefix(11), containerVeth: "swc" + id.prefix(11),
                            published: [], bootID: "b", state: "ready", createdAt: createdAt)
    }

    /// An endpoint Docker's view of its network does not list goes (once old enough); one of a
    /// network Docker was not asked about, or of a forgotten network, does not on its own.
    func testEndpointsDockersNetworkNoLongerListsAreForgotten() throws {
        var view = state(networks: [network(kept, "10.1.0.0/24", createdAt: old), network(removed, "10.2.0.0/24", createdAt: old),
                                    network(young, "10.3.0.0/24", createdAt: old)],
                         pools: [])
        view.endpoints = [endpoint("1", network: kept, createdAt: old), endpoint("2", network: kept, createdAt: old),
                          endpoint("3", network: kept, createdAt: now - 10), endpoint("4", network: kept, createdAt: nil),
                          endpoint("5", network: removed, createdAt: old), endpoint("6", network: young, createdAt: old)]
        var docker = try dockerList(#"[{"Id":"\#(kept)"},{"Id":"\#(young)"}]"#)
        try docker.addEndpoints(ofNetwork: kept, json: try JSONParser.parse(Array("""
            {"Id":"\(kept)","Containers":{"c1":{"Name":"web","EndpointID":"\(String(repeating: "1", count: 64))"},
             "ep-x":{"Name":"x","EndpointID":"\(String(repeating: "7", count: 64))"}}}
            """.utf8)))
        let forgotten = ForgottenByDocker(state: view, docker: docker, now: now, minimumAge: 60)
        XCTAssertEqual(forgotten.endpoints.map(\.id), [String(repeating: "2", count: 64)])
        XCTAssertEqual(forgotten.networks.map(\.id), [removed])
        XCTAssertEqual(ForgottenByDocker(state: view, docker: docker, now: now, minimumAge: 0).endpoints.map(\.id),
                       [String(repeating: "2", count: 64), String(repeating: "3", count: 64)])
    }

    func testANetworkAnswerThatIsNotThatNetworkIsRefused() throws {
        var docker = try dockerList(#"[{"Id":"\#(kept)"}]"#)
        for text in [#"{"Id":"\#(removed)","Containers":{}}"#, #"{"message":"x"}"#,
                     #"{"Id":"\#(kept)","Containers":{"c":{"Name":"x"}}}"#] {
            XCTAssertThrowsError(try docker.addEndpoints(ofNetwork: kept, json: try JSONParser.parse(Array(text.utf8))), text)
        }
        XCTAssertNil(docker.endpointIDs[kept])
        try docker.addEndpoints(ofNetwork: kept, json: try JSONParser.parse(Array(#"{"Id":"\#(kept)","Containers":null}"#.utf8)))
        XCTAssertEqual(docker.endpointIDs[kept], [])
    }

    func testText() {
        let forgotten = ForgottenByDocker(networks: [network(removed, "10.2.0.0/24", createdAt: old)],
                                          endpoints: [endpoint("2", network: kept, createdAt: old)],
                                          pools: [pool("10.2.0.0/24", network: removed, createdAt: old)])
        XCTAssertEqual(OperatorText.forgottenByDocker(forgotten, dryRun: true, errors: []), """
            would delete endpoint 222222222222 of network aaaaaaaaaaaa (swv22222222222): Docker's network has no endpoint with its id
            would delete network bbbbbbbbbbbb (swn-bbbbbbbbbb, 10.2.0.0/24): Docker has no network with its id
            would release pool LocalDefault/10.2.0.0/24: no Docker network has subnet 10.2.0.0/24

            """)
        XCTAssertTrue(OperatorText.forgottenByDocker(ForgottenByDocker(networks: [], pools: []), dryRun: false, errors: ["x"])
            .hasPrefix("error: x\n"))
    }
}
