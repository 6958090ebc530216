import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel
import SwiftnetOperator
import XCTest

final class StateViewTests: XCTestCase {
    /// An allocator holding the fixture network's pool, gateway and endpoint addresses (one named).
    func allocator() throws -> IPAMAllocator {
        let pool = PoolRecord(id: "LocalDefault/10.77.0.0/24", addressSpace: "LocalDefault", prefix: IPPrefix("10.77.0.0/24")!,
                              subPool: nil, options: [:])
        let other = PoolRecord(id: "LocalDefault/10.88.0.0/16", addressSpace: "LocalDefault", prefix: IPPrefix("10.88.0.0/16")!,
                               subPool: IPPrefix("10.88.1.0/24"), options: [:])
        let snapshot = IPAMSnapshot(pools: [pool, other],
                                    used: [pool.id: ["10.77.0.1", "10.77.0.2", "10.77.0.3"].compactMap(IPAddress.init)],
                                    named: [pool.id: [(IPAddress("10.77.0.2")!, "web")]])
        return IPAMAllocator(configuration: IPAMConfiguration.dockerDefaults(ulaGlobalID: 1), snapshot: snapshot)
    }

    func view() throws -> StateView {
        StateView(server: ServerInfo(version: "t", running: true, statePath: "/s.db", chainPrefix: "SWIFTNET",
                                     linkGroup: Fixtures.group, bootID: Fixtures.bootID),
                  ipam: try allocator(), networks: [Fixtures.network], endpoints: Fixtures.endpoints)
    }

    func testBuiltFromRecords() throws {
        let view = try view()
        XCTAssertEqual(view.networks.count, 1)
        let network = view.networks[0]
        XCTAssertEqual(network.endpointCount, 2)
        XCTAssertEqual(network.capacity, "254")
        XCTAssertEqual(network.mode, "nat")
        XCTAssertEqual(network.mtu, 1400)
        XCTAssertEqual(network.subnets, [.init(prefix: "10.77.0.0/24", gateway: "10.77.0.1", poolID: "LocalDefault/10.77.0.0/24")])
        XCTAssertEqual(view.endpoints.map(\.containerName), ["web", nil])
        XCTAssertEqual(view.endpoints[0].published, [Fixtures.endpoints[0].publishedPorts[0].description])
        XCTAssertEqual(view.pools.map(\.networkID), [Fixtures.networkID, nil])
        XCTAssertEqual(view.pools[0].allocated, 3)
        XCTAssertEqual(view.pools[0].utilisation, 3.0 / 254, accuracy: 1e-9)
        XCTAssertEqual(view.pools[1].subPool, "10.88.1.0/24")
        XCTAssertNil(view.pools[0].rangeCapacity)
        XCTAssertEqual(view.pools[1].rangeCapacity, "256", "the range's 256 addresses, not the /16's")
        XCTAssertEqual(view.pools[1].rangeAllocated, 0)
    }

    func testJSONRoundTripAndStableKeys() throws {
        var view = try view()
        view.networks[0].createdAt = 1_764_000_000
        view.pools[0].createdAt = 1_764_000_001
        view.endpoints[0].createdAt = 1_764_000_002
        XCTAssertEqual(try StateView(json: try JSONParser.parse(view.json.serializedString)), view)
        guard case .object(let object) = view.json, case .array(let networks)? = object["networks"],
              case .object(let network)? = networks.first, case .array(let endpoints)? = object["endpoints"],
              case .object(let endpoint)? = endpoints.first else { return XCTFail("shape") }
        XCTAssertEqual(object.keys, ["formatVersion", "server", "networks", "endpoints", "pools", "remoteEndpoints"])
        XCTAssertEqual(network.keys, ["id", "bridge", "state", "mode", "internal", "ipv6", "mtu", "options", "subnets", "endpoints", "capacity", "created"])
        XCTAssertEqual(endpoint.keys, ["id", "network", "containerName", "address", "addressIPv6", "mac", "hostVeth",
                                       "containerVeth", "published", "bootID", "state", "created"])
        XCTAssertThrowsError(try StateView(json: .object(["networks": .array([])])))
    }

    /// A multi-host pool joins the view with this host's claims, and becomes the pool of the
    /// network with its subnet and `swiftnet.network`; another network's subnet is left alone.
    func testMultiHostPoolsJoinTheView() throws {
        var view = try view()
        var overlay = view.networks[0]
        overlay.id = String(repeating: "cd", count: 32)
        overlay.options = ["swiftnet.network": "blue"]
        overlay.subnets = [.init(prefix: "10.70.0.0/16", gateway: "10.70.0.1", poolID: nil)]
        overlay.capacity = nil
        view.networks.append(overlay)
        view.addMultiHostPools([.init(poolID: "swiftnet-mh/blue", network: "blue", subnet: IPPrefix("10.70.0.0/16")!, claimed: 3),
                                .init(poolID: "swiftnet-mh/red", network: "red", subnet: IPPrefix("fd00:1::/64")!, claimed: 0)])
        XCTAssertEqual(view.networks[1].subnets[0].poolID, "swiftnet-mh/blue")
        XCTAssertEqual(view.networks[1].capacity, "65534")
        XCTAssertEqual(view.networks[0].subnets[0].poolID, "LocalDefault/10.77.0.0/24")
        let pools = view.pools.suffix(2)
        XCTAssertEqual(pools.map(\.networkID), [overlay.id, nil])
        XCTAssertEqual(pools.map(\.allocated), [3, 0])
        XCTAssertEqual(pools.map(\.capacity), ["65534", "18446744073709551615"])
        XCTAssertEqual(pools.map(\.multiHostNetwork), ["blue", "red"])
        XCTAssertEqual(try StateView(json: try JSONParser.parse(view.json.serializedString)), view)
    }

    func testNetworkLookupByPrefixOrBridge() throws {
        var view = try view()
        XCTAssertEqual(try view.network(matching: "abab").id, Fixtures.networkID)
        XCTAssertEqual(try view.network(matching: Fixtures.bridge).id, Fixtures.networkID)
        XCTAssertThrowsError(try view.network(matching: "cd")) { error in
            XCTAssertTrue("\(error)".contains("ababababab"), "\(error)")
        }
        var second = view.networks[0]
        second.id = "abac" + second.id.dropFirst(4)
        second.bridge = "swn-abacababab"
        view.networks.append(second)
        XCTAssertThrowsError(try view.network(matching: "aba")) { error in
            XCTAssertTrue("\(error)".contains("several"), "\(error)")
        }
    }

    func testText() throws {
        let view = try view()
        let list = OperatorText.list(view)
        XCTAssertEqual(list.split(separator: "\n").first.map(String.init),
                       "NETWORK       BRIDGE          SUBNETS       GATEWAYS   ENDPOINTS  MODE  OPTIONS")
        XCTAssertTrue(list.contains("ababababab  swn-ababababab  10.77.0.0/24  10.77.0.1  2/254      nat   driver.mtu=1400"), list)
        let inspect = OperatorText.inspect(view, network: view.networks[0])
        XCTAssertTrue(inspect.contains("Network:   \(Fixtures.networkID)"), inspect)
        XCTAssertTrue(inspect.contains("LocalDefault/10.77.0.0/24  10.77.0.0/24  3/254 allocated (1.2%)"), inspect)
        XCTAssertTrue(inspect.contains("web"), inspect)
        XCTAssertTrue(inspect.contains("tcp"), inspect)
        let pools = OperatorText.pools(view)
        XCTAssertTrue(pools.contains("10.88.0.0/16  10.88.1.0/24 (0/256)"), pools)
        XCTAssertTrue(OperatorText.inspect(view, network: view.networks[0]).contains("3/254 allocated (1.2%)"))
        XCTAssertTrue(pools.contains("(swn-ababababab)"), pools)
        XCTAssertEqual(OperatorText.garbage(GarbageReport(dryRun: true, freed: [])), "nothing to free\n")
        let freed = GarbageReport(dryRun: true, freed: [.init(endpointID: Fixtures.endpoints[0].id, networkID: Fixtures.networkID,
                                                               hostVeth: "swv11111111111", addresses: ["10.77.0.2"], reason: "its veth swv11111111111 is gone")])
        XCTAssertEqual(OperatorText.garbage(freed),
                       "would free endpoint 111111111111 of network abababababab (swv11111111111): its veth swv11111111111 is gone; address 10.77.0.2\n")
        XCTAssertEqual(try GarbageReport(json: freed.json), freed)
    }
}
