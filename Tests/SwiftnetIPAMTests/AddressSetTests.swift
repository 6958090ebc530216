import XCTest
@testable import SwiftnetIPAM

final class AddressSetTests: XCTestCase {
    /// Cross-checks the hierarchical bitmap against a plain Set on random operations.
    func testBitmapMatchesReference() {
        var generator = SystemRandomNumberGenerator()
        for bitCount in [1, 63, 64, 65, 4097, 300_000] {
            var bitmap = HierarchicalBitmap(bitCount: bitCount)
            var reference = Set<Int>()
            for _ in 0..<5_000 {
                let bit = Int.random(in: 0..<bitCount, using: &generator)
                if Bool.random(using: &generator) {
                    XCTAssertEqual(bitmap.insert(bit), reference.insert(bit).inserted)
                } else {
                    XCTAssertEqual(bitmap.remove(bit), reference.remove(bit) != nil)
                }
                let start = Int.random(in: 0..<bitCount, using: &generator)
                let expected = (start..<bitCount).first { !reference.contains($0) }
                XCTAssertEqual(bitmap.firstClear(atOrAfter: start), expected, "bits \(bitCount) start \(start)")
            }
        }
    }

    func testBitmapFullThenOneFree() {
        var bitmap = HierarchicalBitmap(bitCount: 1 << 20)
        for bit in 0..<(1 << 20) { bitmap.insert(bit) }
        XCTAssertNil(bitmap.firstClear(atOrAfter: 0))
        bitmap.remove(777_777)
        XCTAssertEqual(bitmap.firstClear(atOrAfter: 0), 777_777)
        XCTAssertNil(bitmap.firstClear(atOrAfter: 777_778))
    }

    func testRangeSetMatchesReference() {
        var generator = SystemRandomNumberGenerator()
        var runs = OrdinalRangeSet()
        var reference = Set<UInt128>()
        for _ in 0..<5_000 {
            let value = UInt128(UInt64.random(in: 0..<512, using: &generator))
            if Bool.random(using: &generator) {
                XCTAssertEqual(runs.insert(value), reference.insert(value).inserted)
            } else {
                XCTAssertEqual(runs.remove(value), reference.remove(value) != nil)
            }
            let start = UInt128(UInt64.random(in: 0..<600, using: &generator))
            var expected = start
            while reference.contains(expected) { expected += 1 }
            XCTAssertEqual(runs.firstAbsent(atOrAfter: start), expected)
        }
    }

    func testWrapAroundInRange() {
        var set = AddressSet(lastOrdinal: 15)
        for ordinal in [5, 6, 7, 8] as [UInt128] { set.insert(ordinal) }
        XCTAssertEqual(set.firstFree(in: 5...8, from: 7), nil)
        set.remove(6)
        XCTAssertEqual(set.firstFree(in: 5...8, from: 7), 6, "wraps to the start of the range")
        XCTAssertEqual(set.firstFree(in: 0...15, from: 15), 15)
        set.insert(15)
        XCTAssertEqual(set.firstFree(in: 0...15, from: 15), 0)
    }
}
