import XCTest
import SwiftnetAddress
@testable import SwiftnetLANModel

final class LANNetworkOptionsTests: XCTestCase {
    func parse(_ options: [String: String]) throws -> LANNetworkOptions {
        try LANNetworkOptions(generic: options)
    }

    func assertRefused(_ options: [String: String], _ expected: LANModelError, mentioning words: [String] = [],
                       file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try parse(options), file: file, line: line) { error in
            XCTAssertEqual(error as? LANModelError, expected, file: file, line: line)
            for word in words {
                XCTAssertTrue("\(error)".contains(word), "\(error) does not mention \(word)", file: file, line: line)
            }
        }
    }

    func testBridgeIsTheDefaultAndTakesNoLANOptions() throws {
        let plain = try parse([:])
        XCTAssertEqual(plain.mode, .bridge)
        XCTAssertNil(plain.childKind)
        XCTAssertNil(plain.parent)
        XCTAssertEqual(try parse(["swiftnet.mode": "bridge", "com.docker.network.bridge.name": "br0"]).mode, .bridge)
        // A LAN option without the mode would otherwise quietly make a bridge.
        for key in ["parent", "swiftnet.host_shim"] {
            assertRefused([key: "eth0"], .optionOfAnotherMode(key: key, mode: .bridge, appliesTo: [.macvlan, .ipvlan]),
                          mentioning: ["swiftnet.mode=macvlan or swiftnet.mode=ipvlan", "swiftnet.mode=bridge"])
        }
        assertRefused(["macvlan_mode": "bridge"], .optionOfAnotherMode(key: "macvlan_mode", mode: .bridge, appliesTo: [.macvlan]))
        assertRefused(["swiftnet.mode": "vxlan"], .invalidOption(key: "swiftnet.mode", value: "vxlan",
                                                                  expected: "bridge, macvlan, ipvlan, overlay"))
        assertRefused(["swiftnet.mode": "overlay", "parent": "eth0"],
                      .optionOfAnotherMode(key: "parent", mode: .overlay, appliesTo: [.macvlan, .ipvlan]))
    }

    func testMacvlanDefaultsAndEveryModeByDockersNames() throws {
        let defaults = try parse(["swiftnet.mode": "macvlan", "parent": "eth0"])
        XCTAssertEqual(defaults.mode, .macvlan)
        XCTAssertEqual(defaults.childKind, .macvlan(.bridge))
        XCTAssertEqual(defaults.parent?.name, "eth0")
        XCTAssertFalse(defaults.hostShim)
        XCTAssertEqual(try parse(["swiftnet.mode": "macvlan", "parent": "eth0", "macvlan_mode": ""]).childKind, .macvlan(.bridge),
                       "empty is the default, as in Docker's driver")
        for mode in ["bridge", "private", "vepa", "passthru"] {
            XCTAssertEqual(try parse(["swiftnet.mode": "macvlan", "parent": "eth0", "macvlan_mode": mode]).childKind,
                           .macvlan(MacvlanMode(rawValue: mode)!))
        }
        assertRefused(["swiftnet.mode": "macvlan", "parent": "eth0", "macvlan_mode": "source"],
                      .invalidOption(key: "macvlan_mode", value: "source",
                                     expected: "one of bridge, private, vepa, passthru ('bridge' is the macvlan default)"))
        assertRefused(["swiftnet.mode": "macvlan", "parent": "eth0", "ipvlan_mode": "l3"],
                      .optionOfAnotherMode(key: "ipvlan_mode", mode: .macvlan, appliesTo: [.ipvlan]))
        XCTAssertNil(try parse(["swiftnet.mode": "macvlan"]).parent, "no parent: a parent of swiftnet's own")
        XCTAssertNil(try parse(["swiftnet.mode": "macvlan", "parent": ""]).parent)
    }

    func testIPvlanDefaultsModesAndFlags() throws {
        XCTAssertEqual(try parse(["swiftnet.mode": "ipvlan", "parent": "eth0"]).childKind, .ipvlan(.l2, .bridge))
        for mode in IPvlanMode.allCases {
            for flag in IPvlanFlag.allCases {
                XCTAssertEqual(try parse(["swiftnet.mode": "ipvlan", "parent": "eth0", "ipvlan_mode": mode.rawValue,
                                          "ipvlan_flag": flag.rawValue]).childKind, .ipvlan(mode, flag))
            }
        }
        assertRefused(["swiftnet.mode": "ipvlan", "parent": "eth0", "ipvlan_mode": "L3"],
                      .invalidOption(key: "ipvlan_mode", value: "L3", expected: "one of l2, l3, l3s ('l2' is the ipvlan default)"))
        assertRefused(["swiftnet.mode": "ipvlan", "parent": "eth0", "ipvlan_flag": "passthru"],
                      .invalidOption(key: "ipvlan_flag", value: "passthru",
                                     expected: "one of bridge, private, vepa ('bridge' is the ipvlan default)"))
        assertRefused(["swiftnet.mode": "ipvlan", "parent": "eth0", "macvlan_mode": "bridge"],
                      .optionOfAnotherMode(key: "macvlan_mode", mode: .ipvlan, appliesTo: [.macvlan]))
    }

    func testParentNamesFollowTheKernelsRules() {
        assertRefused(["swiftnet.mode": "macvlan", "parent": "lo"],
                      .invalidParentName("lo", reason: "the loopback interface is not a valid parent link"))
        assertRefused(["swiftnet.mode": "macvlan", "parent": "averyveryverylongname"],
                      .invalidParentName("averyveryverylongname", reason: "21 bytes, at most 15 allowed"))
        for bad in ["eth/0", "eth:0", "eth%d", "eth 0", "eth\t0", ".", ".."] {
            XCTAssertThrowsError(try parse(["swiftnet.mode": "macvlan", "parent": bad]), bad) {
                guard case .invalidParentName(bad, _)? = $0 as? LANModelError else { return XCTFail("\($0)") }
            }
        }
    }

    func testHostShim() throws {
        XCTAssertTrue(try parse(["swiftnet.mode": "macvlan", "parent": "eth0", "swiftnet.host_shim": "true"]).hostShim)
        XCTAssertTrue(try parse(["swiftnet.mode": "ipvlan", "parent": "eth0", "swiftnet.host_shim": "1"]).hostShim)
        XCTAssertFalse(try parse(["swiftnet.mode": "macvlan", "parent": "eth0", "macvlan_mode": "private",
                                  "swiftnet.host_shim": "false"]).hostShim)
        assertRefused(["swiftnet.mode": "macvlan", "parent": "eth0", "swiftnet.host_shim": "yes"],
                      .invalidOption(key: "swiftnet.host_shim", value: "yes", expected: "true or false"))
        for mode in ["private", "vepa", "passthru"] {
            XCTAssertThrowsError(try parse(["swiftnet.mode": "macvlan", "parent": "eth0", "macvlan_mode": mode,
                                            "swiftnet.host_shim": "true"])) {
                guard case .hostShimUnsupported? = $0 as? LANModelError else { return XCTFail("\($0)") }
                XCTAssertTrue("\($0)".contains(mode), "\($0)")
            }
        }
        assertRefused(["swiftnet.mode": "ipvlan", "parent": "eth0", "ipvlan_flag": "private", "swiftnet.host_shim": "true"],
                      .hostShimUnsupported(reason: "ipvlan_flag=private keeps the host's interface from its containers; use ipvlan_flag=bridge"))
        assertRefused(["swiftnet.mode": "macvlan", "swiftnet.host_shim": "true"],
                      .hostShimUnsupported(reason: "the network has no parent link (an internal network on a link of swiftnet's own)"))
    }
}
