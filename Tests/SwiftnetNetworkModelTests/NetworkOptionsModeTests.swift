import XCTest
import SwiftnetJSON
@testable import SwiftnetNetworkModel

/// `-o swiftnet.network` names a multi-host network: with another mode it is refused, never
/// quietly dropped into a local network.
final class NetworkOptionsModeTests: XCTestCase {
    func options(_ generic: JSONObject) throws -> NetworkOptions {
        try NetworkOptions(json: [NetworkOptions.genericKey: .object(generic)])
    }

    func testTheMultiHostNameAloneOrWithOverlayMakesAnOverlayNetwork() throws {
        XCTAssertEqual(try options(["swiftnet.network": .string("blue")]).mode, .overlay)
        XCTAssertEqual(try options(["swiftnet.network": .string("blue"), "swiftnet.mode": .string("overlay")]).mode, .overlay)
        XCTAssertEqual(try options(["swiftnet.mode": .string("bridge")]).mode, .bridge)
    }

    func testTheMultiHostNameWithAnotherModeIsRefusedNamingBoth() {
        for mode in ["bridge", "macvlan", "ipvlan"] {
            XCTAssertThrowsError(try options(["swiftnet.network": .string("t30"), "swiftnet.mode": .string(mode)]), mode) { error in
                guard case .invalidOption(let key, let value, let expected)? = error as? NetworkModelError else { return XCTFail("\(error)") }
                XCTAssertEqual(key, "swiftnet.network")
                XCTAssertEqual(value, "t30")
                XCTAssertTrue(expected.contains("swiftnet.mode=\(mode)") && expected.contains("overlay"), expected)
            }
        }
    }
}
