import Foundation
import GRDB
import SwiftnetAddress
import SwiftnetNetworkModel
import XCTest
@testable import SwiftnetStore

/// How endpoint records are written: the rewrites of an endpoint's lifecycle (ready, Join,
/// Leave, deleting) touch its row only.
final class EndpointStoreTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swiftnet-endpoint-store-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    static let networkID = String(repeating: "e", count: 64)

    static func network() -> NetworkRecord {
        NetworkRecord(id: networkID, bridge: "swn-eeeeeeeeee", options: NetworkOptions(),
                      subnets: [NetworkSubnet(pool: IPPrefix("10.3.0.0/24")!, gateway: nil)], state: .ready)
    }

    static func endpoint(_ digit: Character, state: LifecycleState = .creating) -> EndpointRecord {
        let id = String(repeating: digit, count: 64)
        return EndpointRecord(id: id, networkID: networkID, hostVeth: "veth" + id.prefix(11), containerVeth: "vethc" + id.prefix(10),
                              address: InterfaceAddress(cidr: "10.3.0.\(digit.wholeNumberValue ?? 9)/24"), addressIPv6: nil,
                              mac: MACAddress("02:00:00:00:00:0\(digit)")!, macFromDocker: false, bootID: "boot", state: state)
    }

    /// Frames in the write-ahead log (each a page written by a commit since the log last
    /// started); checkpoints them, so that the next commit starts the log again.
    func walFrames(_ store: StateStore) throws -> Int {
        try store.queue.writeWithoutTransaction { db in
            try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(PASSIVE)")?[1] ?? -1
        }
    }

    func testRewritingAnEndpointWritesOnePageAndKeepsItsCreationTimeAndLoadOrder() throws {
        let store = try StateStore(path: folder + "/state.db")
        try store.commit(.putNetwork(Self.network()))
        var first = Self.endpoint("1")
        try store.commit(.putEndpoint(first))
        try store.commit(.putEndpoint(Self.endpoint("2")))
        // Created a while apart (the column has whole seconds).
        try store.queue.write { db in
            try db.execute(sql: "UPDATE endpoint SET created_at = '2020-01-01T00:00:00Z' WHERE id LIKE '1%'")
            try db.execute(sql: "UPDATE endpoint SET created_at = '2021-01-01T00:00:00Z' WHERE id LIKE '2%'")
        }
        first.state = .ready
        first.sandboxKey = "/var/run/docker/netns/x"
        _ = try walFrames(store)  // checkpointed: the next commit starts the log afresh
        try store.commit(.putEndpoint(first))
        XCTAssertEqual(try walFrames(store), 1, "a rewrite of an endpoint changes its table page only")

        let loaded = try store.loadNetworks().endpoints
        XCTAssertEqual(loaded.map(\.id.first), ["1", "2"], "endpoints load in creation order")
        first.createdAt = 1_577_836_800  // 2020-01-01T00:00:00Z, loaded as unix seconds
        XCTAssertEqual(loaded.first, first)
        let created = try store.queue.read { try String.fetchOne($0, sql: "SELECT created_at FROM endpoint WHERE id LIKE '1%'") }
        XCTAssertEqual(created, "2020-01-01T00:00:00Z")
    }

    func testARewriteThatChangesTheHostVethOrNetworkStillWritesTheWholeRecord() throws {
        let store = try StateStore(path: folder + "/state.db")
        try store.commit(.putNetwork(Self.network()))
        var endpoint = Self.endpoint("3")
        try store.commit(.putEndpoint(endpoint))
        endpoint.hostVeth = "vethrenamed0"
        endpoint.state = .ready
        try store.commit(.putEndpoint(endpoint))
        // The insert's time, as the store loads it (the record in memory was made without one).
        func loaded() throws -> [EndpointRecord] {
            try store.loadNetworks().endpoints.map { loaded in
                XCTAssertLessThan(abs((loaded.createdAt ?? 0) - Int(Date().timeIntervalSince1970)), 60, "\(loaded)")
                var record = loaded
                record.createdAt = nil
                return record
            }
        }
        XCTAssertEqual(try loaded(), [endpoint])
        var other = NetworkRecord(id: String(repeating: "f", count: 64), bridge: "swn-ffffffffff", options: NetworkOptions(),
                                  subnets: [], state: .ready)
        other.state = .ready
        try store.commit(.putNetwork(other))
        endpoint.networkID = other.id
        try store.commit(.putEndpoint(endpoint))
        XCTAssertEqual(try loaded(), [endpoint])
    }
}
