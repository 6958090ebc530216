import SwiftnetAddress
import SwiftnetDiagnosis
import SwiftnetIPAM
import SwiftnetNetworkModel
import SwiftnetOperator
import XCTest

final class LeakedAddressTests: XCTestCase {
    let pool = PoolRecord(id: "LocalDefault/10.77.0.0/24", addressSpace: "LocalDefault", prefix: IPPrefix("10.77.0.0/24")!,
                          subPool: nil, options: [:])
    /// A pool dockerd's own bridge driver uses (`--ipam-driver swiftnet -d bridge`): no swiftnet network.
    let foreign = PoolRecord(id: "LocalDefault/10.88.0.0/24", addressSpace: "LocalDefault", prefix: IPPrefix("10.88.0.0/24")!,
                             subPool: nil, options: [:])

    func allocations(_ entries: [(String, String)]) -> [(poolID: String, address: IPAddress)] {
        entries.map { (poolID: $0.0, address: IPAddress($0.1)!) }
    }

    func testOnlyAddressesOfSwiftnetNetworksThatNoEndpointHolds() {
        // The same prefix in the global space: another (swarm-scope) network's pool.
        let global = PoolRecord(id: "GlobalDefault/10.77.0.0/24", addressSpace: "GlobalDefault", prefix: pool.prefix,
                                subPool: nil, options: [:])
        let dynamic = allocations([(pool.id, "10.77.0.9"), (pool.id, "10.77.0.2"), (pool.id, "10.77.0.3"),
                                   (foreign.id, "10.88.0.5"), ("gone-pool", "10.99.0.2"), (global.id, "10.77.0.20")])
        let leaked = LeakedAddress.find(collectable: dynamic, pools: [pool, foreign, global], networks: [Fixtures.network],
                                        endpoints: Fixtures.endpoints)
        XCTAssertEqual(leaked, [LeakedAddress(poolID: pool.id, address: IPAddress("10.77.0.9")!, networkID: Fixtures.networkID)])
        let findings = Diagnosis.findings(leaked: leaked, minimumAge: 60)
        XCTAssertEqual(findings.map(\.kind), [.addressLeaked])
        XCTAssertTrue(findings[0].problem.contains("10.77.0.9 in pool \(pool.id)"), findings[0].problem)
        XCTAssertTrue(findings[0].repair.hasPrefix("swiftnet gc"))
    }

    func testANetworkBeingCreatedOrDeletedIsLeftAlone() {
        var network = Fixtures.network
        network.state = .deleting
        XCTAssertEqual(LeakedAddress.find(collectable: allocations([(pool.id, "10.77.0.9")]), pools: [pool], networks: [network],
                                          endpoints: []), [])
    }

    func testReportWithAddressesSurvivesJSON() throws {
        let report = GarbageReport(dryRun: false, freed: [], addresses: [LeakedAddress(poolID: pool.id, address: IPAddress("10.77.0.9")!, networkID: Fixtures.networkID)],
                                   minimumAge: 0)
        XCTAssertEqual(try GarbageReport(json: report.json), report)
        XCTAssertEqual(OperatorText.garbage(report),
                       "freed address 10.77.0.9 in pool \(pool.id) of network abababababab: handed out 0 s ago or more, held by no endpoint\n")
    }
}
