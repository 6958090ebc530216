import XCTest
import SwiftnetJSON
import SwiftnetPluginAPI

final class JSONParserTests: XCTestCase {
    func testParsesWhatGoSends() throws {
        let body = "{\"AddressSpace\":\"LocalDefault\",\"Options\":{\"com.docker.network.generic\":{\"mtu\":\"1400\"},\"com.docker.network.portmap\":[{\"HostPort\":8080,\"Proto\":6}]},\"Pool\":\"\",\"V6\":false}\n"
        let object = try JSONParser.parse(body).asObject()
        XCTAssertEqual(object.keys, ["AddressSpace", "Options", "Pool", "V6"])
        XCTAssertEqual(try object.string("AddressSpace"), "LocalDefault")
        XCTAssertEqual(try object.bool("V6"), false)
        let options = try XCTUnwrap(try object.object("Options"))
        XCTAssertEqual(try options.object("com.docker.network.generic")?.string("mtu"), "1400")
        XCTAssertEqual(try options.array("com.docker.network.portmap")?.first, .object(["HostPort": .number(8080), "Proto": .number(6)]))
    }

    func testStringsAndEscapes() throws {
        XCTAssertEqual(try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#), .string("a\"b\\c/d\n\té😀"))
        XCTAssertEqual(try JSONParser.parse("\"caf\u{e9}\""), .string("café"))
        for bad in [#""\ud83d""#, #""\x""#, "\"a\u{01}b\"", #""abc"#, #""\u12"#] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xFF, 0x22]), "invalid UTF-8")
    }

    func testNumbersAndLiterals() throws {
        XCTAssertEqual(try JSONParser.parse("-12.5e2"), .number(-1250))
        XCTAssertEqual(try JSONParser.parse(" [true, false, null, 0] "), .array([.bool(true), .bool(false), .null, .number(0)]))
        for bad in ["01", "1.", ".5", "-", "1e", "tru", "nul", "+1", "1e999"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
    }

    func testStructureErrors() {
        for bad in ["", "{", "{\"a\"}", "{\"a\":1,}", "[1,]", "{} {}", "{'a':1}", "{a:1}", "[1 2]"] {
            XCTAssertThrowsError(try JSONParser.parse(bad), bad)
        }
        XCTAssertThrowsError(try JSONParser.parse(String(repeating: "[", count: 100_000))) { error in
            XCTAssertTrue("\(error)".contains("nested deeper than 64"), "\(error)")
        }
        XCTAssertNoThrow(try JSONParser.parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
    }

    func testLastDuplicateKeyWinsAsInGo() throws {
        XCTAssertEqual(try JSONParser.parse(#"{"a":1,"a":2}"#).asObject()["a"], .number(2))
    }

    func testSerializationRoundTrips() throws {
        let value = JSONValue.object(["Err": .string("quote \" backslash \\ newline \n ctl \u{01}"), "N": .number(42),
                                      "F": .number(1.5), "L": .array([.null, .bool(true)])])
        XCTAssertEqual(value.serializedString, #"{"Err":"quote \" backslash \\ newline \n ctl \u0001","N":42,"F":1.5,"L":[null,true]}"#)
        XCTAssertEqual(try JSONParser.parse(value.serialized), value)
    }

    func testTypedFieldsFollowGoZeroValues() throws {
        let request = try IPAMAPI.RequestAddressRequest(json: JSONParser.parse(#"{"PoolID":"p","Options":null}"#).asObject())
        XCTAssertEqual(request.address, "")
        XCTAssertEqual(request.options, [:])
        XCTAssertThrowsError(try IPAMAPI.RequestPoolRequest(json: JSONParser.parse(#"{"Options":{"a":1}}"#).asObject())) { error in
            XCTAssertEqual("\(error)", "Options.a must be a string, not a number")
        }
    }
}
