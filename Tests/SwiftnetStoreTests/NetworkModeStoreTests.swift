import Foundation
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
}
