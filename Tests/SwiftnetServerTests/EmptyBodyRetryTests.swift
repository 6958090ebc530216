import Foundation
import SwiftnetClient
import SwiftnetPlugin
import SwiftnetTestSupport
import XCTest

/// dockerd resends a call with an empty body when the connection broke after it had written the
/// request (its body buffer is used up by then). The user sees swiftnet's error, so it must say
/// what happened and what to do.
final class EmptyBodyRetryTests: ProtocolTestCase {

    func testEmptyBodyOfACallWithArgumentsExplainsTheRetry() throws {
        for call in ["/IpamDriver.RequestAddress", "/IpamDriver.RequestPool", "/NetworkDriver.CreateEndpoint",
                     "/NetworkDriver.Join"] {
            let (status, object) = try client.call(call, "")
            XCTAssertEqual(status, 400, call)
            let message = object["Err"] as? String ?? "\(object)"
            for phrase in ["empty request body", "connection", "nothing was changed", "run the command again"] {
                XCTAssertTrue(message.contains(phrase), "\(call): Err should say '\(phrase)': \(message)")
            }
        }
        // Nothing was allocated by those calls: the first pool is still the first one.
        let (status, object) = try client.call("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","V6":false}"#)
        XCTAssertEqual(status, 200)
        XCTAssertEqual(object["Pool"] as? String, "10.198.0.0/24")
    }

    func testCallsWithoutArgumentsStillTakeAnEmptyBody() throws {
        for call in ["/Plugin.Activate", "/IpamDriver.GetCapabilities", "/IpamDriver.GetDefaultAddressSpaces",
                     "/NetworkDriver.GetCapabilities"] {
            XCTAssertEqual(try client.post(call, body: []).status, 200, call)
        }
    }
}
