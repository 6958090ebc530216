import SwiftnetAddress
import XCTest
import SwiftnetJSON
@testable import SwiftnetNetworkModel

/// Numbers from the wire reach no unchecked conversion: each of these trapped the server once.
final class WireNumbersTests: XCTestCase {
    static let hostile: [Double] = [1e19, -1e19, 9.3e18, -9.3e18, 9_223_372_036_854_775_808, 1e308, -1e308, -0.5, 0.5, 65536, -1]

    func portEntry(_ key: String, _ value: Double) -> JSONValue {
        var entry: JSONObject = ["Proto": .number(6), "IP": .string(""), "Port": .number(80), "HostIP": .string(""),
                                 "HostPort": .number(8080), "HostPortEnd": .number(8080)]
        entry[key] = .number(value)
        return .object(entry)
    }

    func testPortMapNumbersOutOfRangeAreRefused() {
        for key in ["Proto", "Port", "HostPort", "HostPortEnd"] {
            for value in WireNumbersTests.hostile {
                let options: JSONObject = [PortBindingRequest.portMapKey: .array([portEntry(key, value)])]
                XCTAssertThrowsError(try PortBindingRequest.list(from: options), "\(key)=\(value)") { error in
                    guard case .invalidPortBinding(let why)? = error as? NetworkModelError else { return XCTFail("\(error)") }
                    XCTAssertTrue(why.hasPrefix(key) || why.contains("protocol") || why.contains("reversed"), why)
                }
            }
        }
        XCTAssertThrowsError(try PortBindingRequest.list(from: [PortBindingRequest.portMapKey: .array([portEntry("Port", 0)])]))
        let kinds = try? PortBindingRequest.list(from: [PortBindingRequest.portMapKey: .array([portEntry("HostPort", -0.0)])])
        XCTAssertEqual(kinds?.first?.hostPort, 0, "-0 is 0")
        XCTAssertThrowsError(try PortBindingRequest.list(from: [PortBindingRequest.portMapKey: .array([
            .object(["Proto": .string("6"), "Port": .number(80)])])])) { error in
            XCTAssertEqual("\(error)", "invalid port binding: Proto is a string (expected an integer in 0...255)")
        }
    }

    func testPortMapAsDockerSendsIt() throws {
        let options = try JSONParser.parse(#"{"com.docker.network.portmap":[{"Proto":17,"IP":"","Port":53,"HostIP":"127.0.0.1","HostPort":5300,"HostPortEnd":5301}]}"#).asObject()
        XCTAssertEqual(try PortBindingRequest.list(from: options),
                       [PortBindingRequest(proto: .udp, containerPort: 53, hostIP: IPAddress("127.0.0.1"), hostPort: 5300, hostPortEnd: 5301)])
    }

    func generic(_ value: JSONValue) -> JSONObject {
        [NetworkOptions.genericKey: .object(["x": value])]
    }

    func testGenericOptionNumbersBeyondInt64AreRefused() throws {
        for value in [1e19, -1e19, 9.3e18, -9.3e18, 9_223_372_036_854_775_808, 1e308, -0.5, 0.5] {
            XCTAssertThrowsError(try NetworkOptions(json: generic(.number(value))), "\(value)") { error in
                guard case .invalidOption(let key, _, let expected)? = error as? NetworkModelError else { return XCTFail("\(error)") }
                XCTAssertEqual(key, "x")
                XCTAssertEqual(expected, "a string or an integer")
            }
        }
        XCTAssertEqual(try NetworkOptions(json: generic(.number(1400))).generic["x"], "1400")
        XCTAssertEqual(try NetworkOptions(json: generic(.number(-9_223_372_036_854_775_808))).generic["x"], "-9223372036854775808")
        XCTAssertEqual(try NetworkOptions(json: generic(.number(-0.0))).generic["x"], "0")
        XCTAssertEqual(try NetworkOptions(json: generic(.bool(true))).generic["x"], "true")
    }

    func testMTUTextOutOfRangeIsRefused() {
        for text in ["99999999999999999999", "-1", "67", "65536", "1e3", " 1500", "1500\n", "0x5dc"] {
            let options: JSONObject = [NetworkOptions.genericKey: .object([NetworkOptions.mtuKey: .string(text)])]
            XCTAssertThrowsError(try NetworkOptions(json: options), text)
        }
    }

    func testFlagsTakeGoSpellingsOnly() throws {
        let options: JSONObject = [NetworkOptions.genericKey: .object([NetworkOptions.iccKey: .string("F"),
                                                                       NetworkOptions.masqueradeKey: .string("1")])]
        let parsed = try NetworkOptions(json: options)
        XCTAssertFalse(parsed.interContainer)
        XCTAssertTrue(parsed.masquerade)
        XCTAssertThrowsError(try NetworkOptions(json: [NetworkOptions.genericKey: .object([NetworkOptions.iccKey: .string("yes")])]))
        XCTAssertThrowsError(try NetworkOptions(json: [NetworkOptions.internalKey: .number(1)]))
    }

    func testInterfaceAddressText() {
        for bad in ["10.0.0.2/99999999999999999999", "10.0.0.2/+16", "10.0.0.2/33", "10.0.0.2", "10.0.0.2/-1", "fd00::2/129",
                    "10.0.0.2/16\n", "", "/", "10.0.0.2/١٦"] {
            XCTAssertNil(InterfaceAddress(cidr: bad), bad)
        }
        XCTAssertEqual(InterfaceAddress(cidr: "172.18.0.9/16")?.description, "172.18.0.9/16")
    }

    func testMACText() {
        for bad in ["", "02:42:ac:12:00", "02:42:ac:12:00:09:00", "0g:42:ac:12:00:09", "2:42:ac:12:00:09", "02-42:ac:12:00:09",
                    "+2:42:ac:12:00:09", "02:42:ac:12:00:é9", String(repeating: ":", count: 10_000)] {
            XCTAssertNil(MACAddress(bad), bad)
        }
        XCTAssertEqual(MACAddress("02-AA-bb-cc-dd-ee")?.description, "02:aa:bb:cc:dd:ee")
        for bad in ["", "A", "AA", "AAA=", "Aqq7zN3", "Aqq7zN3u=", "Aqq7zN3uAA==", "Aq=q7zN3", "====", "Aqq7zN3é"] {
            XCTAssertNil(MACAddress(base64: bad), bad)
        }
        XCTAssertEqual(MACAddress(base64: "Aqq7zN3u")?.description, "02:aa:bb:cc:dd:ee")
    }

    func testIDsThatCannotNameALink() {
        for bad in ["", "abc", String(repeating: "a", count: 129), "ABCDEFABCDEF", "abcdefabcdeg", "abcdefabcd\u{0}f", "ａbcdefabcdef"] {
            XCTAssertThrowsError(try InterfaceNames.bridge(networkID: bad), bad)
            XCTAssertThrowsError(try InterfaceNames.veths(endpointID: bad), bad)
        }
        XCTAssertEqual(try InterfaceNames.bridge(networkID: String(repeating: "ab", count: 32)), "swn-ababababab")
    }
}
