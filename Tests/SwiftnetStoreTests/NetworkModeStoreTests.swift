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
