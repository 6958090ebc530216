import Foundation
import GRDB
import SwiftnetAddress
import SwiftnetNetworkModel
import XCTest
@testable import SwiftnetStore

/// The network's mode column (`v6-network-mode`).
final class NetworkModeStoreTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swiftnet-mode-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func network(_ id: String) throws -> NetworkRecord {
        var options = NetworkOptions()
        options.mode = .bridge
        return NetworkRecord(id: id, bridge: "swn-" + id.prefix(10), options: options,
                             subnets: [NetworkSubnet(pool: IPPrefix("10.3.0.0/24")!, gateway: nil)], state: .ready)
    }

    /// The creation order the firewall keeps networks' rules in (`v11-network-sequence`):
    /// stored as given, loaded in that order, unchanged by later writes of the record; the
    /// migration numbers the networks of an older state in the order their rows were made.
    func testTheSequenceRoundTripsAndOrdersTheLoad() throws {
        let store = try StateStore(path: folder + "/state.db")
        var late = try network(String(repeating: "a", count: 64))
        late.sequence = 9
        var early = try network(String(repeating: "b", count: 64))
        early.sequence = 4
        try store.commit(.putNetwork(late))
        try store.commit(.putNetwork(early))
        late.state = .deleting
        try store.commit(.putNetwork(late))
        XCTAssertEqual(try store.loadNetworks().networks.map(\.sequence), [4, 9])
        XCTAssertEqual(try store.loadNetworks().networks.map(\.state), [.ready, .deleting])
        try store.queue.write { db in
            try db.execute(sql: "UPDATE network SET sequence = 0")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v11-network-sequence'")
            try db.execute(sql: "ALTER TABLE network DROP COLUMN sequence")
        }
        try StateStore.migrator.migrate(store.queue)
        XCTAssertEqual(try store.loadNetworks().networks.map(\.id), [late.id, early.id], "rows in the order they were made")
    }

    func testTheModeRoundTripsAndAModeThisVersionDoesNotKnowIsRefusedAtLoad() throws {
        let path = folder + "/state.db"
        let id = String(repeating: "c", count: 64)
        do {
            let store = try StateStore(path: path)
            try store.commit(.putNetwork(try network(id)))
            XCTAssertEqual(try store.loadNetworks().networks.map(\.mode), [.bridge])
            // A state written by a newer swiftnet with a mode this one has no type for.
            try store.queue.write { try $0.execute(sql: "UPDATE network SET mode = 'vxlan'") }
        }
        let store = try StateStore(path: path)
        XCTAssertThrowsError(try store.loadNetworks()) { error in
            XCTAssertTrue("\(error)".contains("mode of network"), "\(error)")
        }
    }

    /// `v12-network-link-shared`: macvlan networks may share their parent (kept in `bridge`),
    /// bridges may not; the rebuild of a v11 state keeps every network with its subnets and
    /// endpoints (a cascade from dropping the old table would have taken them).
    func testMacvlanNetworksShareAParentAndTheRebuildKeepsEverything() throws {
        let path = folder + "/state.db"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        do {
            let queue = try DatabaseQueue(path: path)
            try StateStore.migrator.migrate(queue, upTo: "v11-network-sequence")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO network (id, bridge, bridge_named_by_user, icc, masquerade, iface_prefix, internal, ipv6, generic, state, sequence)
                    VALUES ('\(String(repeating: "d", count: 64))', 'swn-dddddddddd', 0, 1, 1, 'eth', 0, 0, '{}', 'ready', 7);
                    INSERT INTO network_subnet (network_id, position, pool, gateway) VALUES ('\(String(repeating: "d", count: 64))', 0, '10.3.0.0/24', '10.3.0.1');
                    INSERT INTO endpoint (id, network_id, host_veth, container_veth, address, mac, mac_from_docker, boot_id,
                                          requested_ports, published_ports, state)
                    VALUES ('\(String(repeating: "e", count: 64))', '\(String(repeating: "d", count: 64))', 'swveeeeeeeeeee', 'swceeeeeeeeeee',
                            '10.3.0.2/24', '02:42:0a:03:00:02', 0, 'boot', '[]', '[]', 'ready');
                    """)
            }
        }
        let store = try StateStore(path: path)
        let loaded = try store.loadNetworks()
        XCTAssertEqual(loaded.networks.map(\.id), [String(repeating: "d", count: 64)])
        XCTAssertEqual(loaded.networks.first?.subnets.map(\.pool.description), ["10.3.0.0/24"])
        XCTAssertEqual(loaded.networks.first?.sequence, 7)
        XCTAssertEqual(loaded.endpoints.map(\.id), [String(repeating: "e", count: 64)])

        func macvlan(_ id: Character) throws -> NetworkRecord {
            var options = NetworkOptions()
            options.mode = .macvlan
            options.generic = ["swiftnet.mode": "macvlan", "parent": "eth0"]
            return NetworkRecord(id: String(repeating: id, count: 64), bridge: "eth0", options: options,
                                 subnets: [NetworkSubnet(pool: IPPrefix("10.4.0.0/24")!, gateway: nil)], state: .ready)
        }
        try store.commit(.putNetwork(try macvlan("a")))
        try store.commit(.putNetwork(try macvlan("b")))
        XCTAssertEqual(try store.loadNetworks().networks.filter { $0.bridge == "eth0" }.count, 2)
        var twin = try network(String(repeating: "f", count: 64))
        twin.bridge = "swn-dddddddddd"
        XCTAssertThrowsError(try store.commit(.putNetwork(twin)), "two bridges of one name")
    }
}
