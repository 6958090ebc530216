import SwiftnetAddress
import XCTest
@testable import SwiftnetIPAM

/// The bounded sticky table of one pool: plan, then apply, as the allocator drives it.
final class StickyNamesTests: XCTestCase {
    var table = StickyNames(capacity: 3)

    @discardableResult
    func use(_ name: String, _ address: String) -> StickyUpdate {
        let update = table.planUse(name: name, address: IPAddress(address)!, poolID: "p")
        table.apply(update)
        return update
    }

    func testANewNameForAnAddressForgetsTheOldOne() {
        XCTAssertEqual(use("web", "10.0.0.2").forget, [])
        XCTAssertEqual(use("other", "10.0.0.2").forget, ["web"])
        XCTAssertNil(table.address(for: "web"))
        XCTAssertEqual(table.name(at: IPAddress("10.0.0.2")!), "other")
        XCTAssertEqual(table.count, 1)
    }

    func testANameMovingToAnotherAddressLeavesTheOldAddressNameless() {
        use("web", "10.0.0.2")
        XCTAssertEqual(use("web", "10.0.0.3").forget, [])
        XCTAssertNil(table.name(at: IPAddress("10.0.0.2")!))
        XCTAssertEqual(table.address(for: "web")?.description, "10.0.0.3")
        // Someone else taking the old address forgets nobody.
        XCTAssertEqual(use("db", "10.0.0.2").forget, [])
        XCTAssertEqual(table.count, 2)
    }

    func testAtCapacityTheLeastRecentlyUsedGoes() {
        use("a", "10.0.0.2")
        use("b", "10.0.0.3")
        use("c", "10.0.0.4")
        let touch = use("a", "10.0.0.2")
        XCTAssertEqual(touch.forget, [], "using a name again adds nothing")
        XCTAssertGreaterThan(touch.remember.lastUse, 3)
        XCTAssertEqual(use("d", "10.0.0.5").forget, ["b"])
        XCTAssertEqual(use("e", "10.0.0.6").forget, ["c"])
        XCTAssertEqual(use("f", "10.0.0.7").forget, ["a"])
        XCTAssertEqual(table.count, 3)
    }

    /// Planning changes nothing: a plan not applied (a failed commit) leaves the table as it was.
    func testPlanningAloneChangesNothing() {
        use("a", "10.0.0.2")
        _ = table.planUse(name: "b", address: IPAddress("10.0.0.2")!, poolID: "p")
        XCTAssertEqual(table.address(for: "a")?.description, "10.0.0.2")
        XCTAssertNil(table.address(for: "b"))
        XCTAssertEqual(table.lastUse, 1)
    }

    /// 100,000 uses: memory follows the names kept, not the uses made.
    func testBookkeepingStaysBoundedUnderChurn() {
        table = StickyNames(capacity: 8)
        for round in 0..<100_000 {
            use("name-\(round % 13)", "10.0.\(round % 7).\(round % 200 + 2)")
            XCTAssertLessThanOrEqual(table.count, 8)
        }
        XCTAssertLessThanOrEqual(table.positionsTracked, 2 * table.count + 64)
    }
}
