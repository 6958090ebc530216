import XCTest
import SwiftnetJSON

/// Bodies no dockerd sends, which must each end in a value or a syntax error, never a trap.
final class HostileJSONTests: XCTestCase {
    func testNumbersAtTheEdges() throws {
        for bad in ["1e400", "-1e400", "1e99999999999999999999", String(repeating: "9", count: 400), "-" + String(repeating: "9", count: 100_000)] {
            XCTAssertThrowsError(try JSONParser.parse(bad), String(bad.prefix(30))) { error in
                XCTAssertTrue("\(error)".contains("number out of range"), "\(error)")
            }
        }
        XCTAssertEqual(try JSONParser.parse("1e-99999999999999999999"), .number(0))
        XCTAssertEqual(try JSONParser.parse("0." + String(repeating: "1", count: 100_000)), .number(0.1111111111111111))
        let negativeZero = try JSONParser.parse("-0")
        XCTAssertEqual(negativeZero, .number(0))
        XCTAssertEqual(negativeZero.serializedString, "0")
        for value in [1e19, -9.3e18, 1e308, Double.leastNonzeroMagnitude, 0.1] {
            XCTAssertEqual(try JSONParser.parse(JSONValue.number(value).serialized), .number(value), "\(value) round-trips without a trap")
        }
    }

    func testStringsThatAreNotUnicode() {
        for bad: [UInt8] in [[0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],
                             [0x22, 0xE2, 0x82, 0x22], [0x22, 0x5C, 0x75, 0x64, 0x63, 0x30, 0x30, 0x22]] {
            XCTAssertThrowsError(try JSONParser.parse(bad), "\(bad)")
        }
        for bad in [#""\udc00""#, #""\ud800\u0041""#, #""\ud800\ud800""#, #""\ud800x""#, #""\u0000"#, "{\"a\u{0}\":1}"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        // Invalid UTF-8 as an object key, not only as a value.
        XCTAssertThrowsError(try JSONParser.parse([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]))
        XCTAssertEqual(try JSONParser.parse(#""\u0000\u001f\u2028""#), .string("\u{0}\u{1F}\u{2028}"), "escaped controls are data")
    }

    func testSizeAndShape() throws {
        let many = "[" + Array(repeating: "0", count: 200_000).joined(separator: ",") + "]"
        guard case .array(let elements) = try JSONParser.parse(many) else { return XCTFail("not an array") }
        XCTAssertEqual(elements.count, 200_000)
        let keys = "{" + (0..<50_000).map { #""k\#($0 % 7)":\#($0)"# }.joined(separator: ",") + "}"
        XCTAssertEqual(try JSONParser.parse(keys).asObject()["k0"], .number(49_994), "the last duplicate wins")
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: #"{"a":"#, count: 100_000)))
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "[{\"a\":", count: 40) + "1" + String(repeating: "}]", count: 40)))
        XCTAssertEqual(try JSONParser.parse("\"" + String(repeating: "é", count: 500_000) + "\""), .string(String(repeating: "é", count: 500_000)))
        for truncated in ["{\"a\":1", "{\"a\":", "{\"a\"", "{\"", "[1,", "\"abc\\", "\"\\u12", "tr", "-", "1e+", "{\"a\":1}}"] {
            XCTAssertThrowsError(try JSONParser.parse(truncated), truncated)
        }
    }
}
