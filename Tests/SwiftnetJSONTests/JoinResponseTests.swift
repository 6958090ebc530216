import SwiftnetJSON
import SwiftnetPluginAPI
import XCTest

/// Join's answer as dockerd's remote driver client reads it (libnetwork `remote/api.JoinResponse`).
final class JoinResponseTests: XCTestCase {
    func testABridgeAnswerHasNoStaticRoutesKey() {
        let answer = NetworkDriverAPI.JoinResponse(sourceName: "swc0001", destinationPrefix: "eth", gateway: "10.1.0.1", gatewayIPv6: "")
        XCTAssertEqual(answer.json.serializedString,
                       #"{"DisableGatewayService":false,"Gateway":"10.1.0.1","GatewayIPv6":"","InterfaceName":{"DstPrefix":"eth","SrcName":"swc0001"}}"#)
    }

    func testConnectedRoutesAreStaticRoutesOfTypeOneAndTheGatewayServiceCanBeDisabled() {
        let answer = NetworkDriverAPI.JoinResponse(sourceName: "swc0001", destinationPrefix: "eth", gateway: "", gatewayIPv6: "",
                                                   connectedRoutes: ["0.0.0.0/0", "::/0"], disableGatewayService: true)
        guard case .object(let object) = answer.json else { return XCTFail("not an object") }
        XCTAssertEqual(object["DisableGatewayService"], .bool(true))
        XCTAssertEqual(object["StaticRoutes"], .array([
            .object(["Destination": .string("0.0.0.0/0"), "RouteType": .number(1), "NextHop": .string("")]),
            .object(["Destination": .string("::/0"), "RouteType": .number(1), "NextHop": .string("")]),
        ]))
    }
}
