import Foundation
import SwiftnetTestSupport
import XCTest

/// The subnets tests give their networks avoid those the host already routes: another run's
/// bridge on the same /24 takes the replies, and a working network reads as broken (seen as
/// "network … does not work" in the crash-consistency test while another run was going).
final class SubnetChoiceTests: XCTestCase {
    func testTheChosenSubnetIsOneTheNamespaceDoesNotUse() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for namespaces") }
        let namespace = "swtest-" + Shell.randomHex(8)
        XCTAssertTrue(Shell.ip("netns", "add", namespace).succeeded)
        defer { Shell.ip("netns", "del", namespace) }
        // Every /24 of 10.247.0–250 but one has an address (and so a route) there.
        var batch = "link add taken type bridge\nlink set taken up\n"
        for third in 0...250 where third != 117 { batch += "addr add 10.247.\(third).1/24 dev taken\n" }
        let file = NSTemporaryDirectory() + "swt-subnets-\(Shell.randomHex(8))"
        XCTAssertTrue(FileManager.default.createFile(atPath: file, contents: Data(batch.utf8)))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let added = Shell.ip("-n", namespace, "-batch", file)
        XCTAssertTrue(added.succeeded, added.both)
        for _ in 0..<5 {
            XCTAssertEqual(Shell.unusedSubnetBase("10.247", namespace: namespace), "10.247.117")
        }
    }
}
