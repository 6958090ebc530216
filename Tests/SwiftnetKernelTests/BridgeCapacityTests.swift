import Foundation
import XCTest
@testable import SwiftnetKernel

/// A real bridge filled to the kernel's limit in a throw-away namespace (deleting the
/// namespace deletes every link in it, also when an assertion fails half-way).
final class BridgeCapacityTests: XCTestCase {
    var namespace: String?

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "netlink link tests need root")
    }

    override func tearDown() {
        if let namespace { _ = try? LinkManagerTests.run(["ip", "netns", "delete", namespace]) }
    }

    func testAFullBridgeRefusesTheNextPortByNameAndLimitNotUnspecificFailure() throws {
        let namespace = "swtest-" + LinkManagerTests.hex(8)
        self.namespace = namespace
        try LinkManagerTests.check(["ip", "netns", "add", namespace])
        let errors = try LinkManagerTests.onThread(inNamespace: namespace) { () throws -> [String] in
            let manager = try LinkManager()
            try manager.createBridge(name: "swtfull")
            for n in 0..<LinkManager.maximumBridgePorts {
                try manager.createVethPair(host: "swth\(n)", peer: "swtp\(n)", mtu: nil, peerMAC: nil, onBridge: "swtfull")
            }
            var errors: [String] = []
            // Created on the bridge in one request: refused, and the kernel leaves no veth.
            do {
                try manager.createVethPair(host: "swthx", peer: "swtpx", mtu: nil, peerMAC: nil, onBridge: "swtfull")
                errors.append("created")
            } catch KernelError.bridgeFull(let bridge, _) {
                errors.append("full \(bridge)")
            } catch {
                errors.append("\(error)")
            }
            errors.append(try manager.link(named: "swthx") == nil ? "no veth left" : "veth left")
            // Enslaved afterwards: refused too.
            try manager.createVethPair(host: "swthy", peer: "swtpy")
            do {
                try manager.setMaster("swthy", bridge: "swtfull")
                errors.append("enslaved")
            } catch let error as KernelError {
                if case .bridgeFull = error { errors.append("full: \(error)") } else { errors.append("\(error)") }
            }
            return errors
        }
        XCTAssertEqual(errors.count, 3, "\(errors)")
        XCTAssertEqual(errors.first, "full swtfull")
        XCTAssertEqual(errors.dropFirst().first, "no veth left")
        let last = try XCTUnwrap(errors.last)
        XCTAssertTrue(last.hasPrefix("full: ") && last.contains("1023 ports") && last.contains("swtfull")
                      && !last.contains("Unspecific"), last)
    }
}
