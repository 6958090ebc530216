import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// Bodies as large as dockerd sends them for a published port range.
final class LargeBodyProtocolTests: ProtocolTestCase {
    override var addressPool: String { "base=10.197.0.0/16,size=24" }

    /// `-p 20000-29999:20000-29999` reaches the driver as 10,000 bindings in a ~1.07 MB body
    /// (CreateEndpoint, Join and ProgramExternalConnectivity alike). The server reads and decodes
    /// it: the answer is about the network (unknown here, so no kernel work is done), not 413.
    func testTenThousandBindingBodyIsAcceptedAndDecoded() throws {
        let ports = 20_000..<30_000
        let exposed = ports.map { #"{"Proto":6,"Port":\#($0)}"# }.joined(separator: ",")
        let portmap = ports.map { #"{"Proto":6,"IP":"","Port":\#($0),"HostIP":"","HostPort":\#($0),"HostPortEnd":\#($0)}"# }
            .joined(separator: ",")
        let network = String(repeating: "ab", count: 32), endpoint = String(repeating: "cd", count: 32)
        let body = #"{"NetworkID":"\#(network)","EndpointID":"\#(endpoint)","Interface":{"Address":"10.197.0.2/24","AddressIPv6":"","MacAddress":""},"Options":{"com.docker.network.endpoint.exposedports":[\#(exposed)],"com.docker.network.portmap":[\#(portmap)]}}"#
        XCTAssertGreaterThan(body.utf8.count, 1_050_000, "as large as dockerd's body for 10,000 bindings")

        let response = try client.post("/NetworkDriver.CreateEndpoint", json: body)
        XCTAssertNotEqual(response.status, 413, response.text)
        XCTAssertTrue(response.text.contains("is not a swiftnet network"), response.text)
        // The connection is still good for the next call.
        XCTAssertEqual(try client.post("/Plugin.Activate", body: []).status, 200)
    }
}
