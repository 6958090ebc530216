import XCTest
@testable import SwiftnetEtcd

final class EtcdEncodingTests: XCTestCase {
    func testBase64RoundTripsAndRefusesJunk() {
        for text in ["", "f", "fo", "foo", "foob", "fooba", "foobar", "/swiftnet/v1/addr/blue/10.70.0.1", "två ✓"] {
            let encoded = Base64.encode(text.utf8)
            XCTAssertEqual(Base64.decode(encoded).map { String(decoding: $0, as: UTF8.self) }, text)
        }
        XCTAssertEqual(Base64.encode("foobar".utf8), "Zm9vYmFy")
        XCTAssertEqual(Base64.encode("fo".utf8), "Zm8=")
        XCTAssertNil(Base64.decode("Zm8"))
        XCTAssertNil(Base64.decode("Zm=8"))
        XCTAssertNil(Base64.decode("Zm9v!mFy"))
    }

    func testEndpointsParse() throws {
        XCTAssertEqual(try EtcdEndpoint(parsing: "http://10.0.0.1:2379").description, "http://10.0.0.1:2379")
        XCTAssertEqual(try EtcdEndpoint(parsing: "http://[fd00::1]:23790/"), EtcdEndpoint(host: "fd00::1", port: 23790))
        XCTAssertEqual(try EtcdEndpoint(parsing: "http://etcd1").port, 2379)
        XCTAssertEqual(try EtcdEndpoint.list(parsing: "http://a:1, http://b:2").map(\.description), ["http://a:1", "http://b:2"])
        for bad in ["https://a:1", "a:1", "http://", "http://a:0", "http://a:99999", "http://a:1/v3", "http://[::1"] {
            XCTAssertThrowsError(try EtcdEndpoint(parsing: bad), bad) { XCTAssertTrue("\($0)".hasPrefix("etcd endpoint"), "\($0)") }
        }
        XCTAssertThrowsError(try EtcdEndpoint.list(parsing: " , "))
    }

    func testPrefixRangeEnd() {
        XCTAssertEqual(EtcdKeyRange.end(ofPrefix: "/a/"), "/a0")
        XCTAssertEqual(EtcdKeyRange.end(ofPrefix: ""), "\0")
    }
}
