import Logging
import SwiftnetAddress
import SwiftnetNetworkModel
import SwiftnetBridge
import Synchronization
import XCTest

/// What the server's 5 s firewall guard says when it had to restore swiftnet's chains.
final class FirewallGuardTests: DriverTestCase {
    /// The warning lines a logger was given.
    final class Warnings: Sendable {
        let lines = Mutex<[String]>([])
    }

    struct CapturingHandler: LogHandler {
        let warnings: Warnings
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
                 file: String, function: String, line: UInt) {
            guard level == .warning else { return }
            let fields = (metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            warnings.lines.withLock { $0.append("\(message) \(fields)") }
        }
    }

    /// Chains emptied again and again (a firewall manager reloading on a timer) are restored
    /// every round, but said in rounds 1, 2, 4, 8 … of a run, not every 5 s for months; a
    /// round with nothing to restore starts the count again.
    func testRestoresInARowAreSaidAtPowersOfTwo() throws {
        let warnings = Warnings()
        driver = try makeDriver(logger: Logger(label: "test", factory: { _ in CapturingHandler(warnings: warnings) }))
        try createNetwork()
        firewall.installed.withLock { $0.guardRestores = Array(repeating: 3, count: 9) + [0, 5] }
        for _ in 0..<11 { driver.guardFirewall() }
        let said = warnings.lines.withLock { $0 }
        XCTAssertEqual(said, [1, 2, 4, 8].map { "swiftnet's iptables chains were changed by something else; restored them roundsInARow=\($0) rulesDiffering=3" }
                       + ["swiftnet's iptables chains were changed by something else; restored them roundsInARow=1 rulesDiffering=5"])

        // A check that keeps failing: the same.
        warnings.lines.withLock { $0 = [] }
        firewall.installed.withLock { $0.failing = true }
        for _ in 0..<5 { driver.guardFirewall() }
        let failures = warnings.lines.withLock { $0 }
        XCTAssertEqual(failures.count, 3, "\(failures)")
        XCTAssertEqual(failures.map { $0.hasPrefix("could not check the firewall ") }, [true, true, true], "\(failures)")
        XCTAssertEqual(failures.compactMap { $0.split(separator: " ").last }, ["roundsInARow=1", "roundsInARow=2", "roundsInARow=4"])
    }

    /// After a change of ours failed, what was installed is unknown: the guard used to find
    /// nothing to compare with and leave the chains as the failure left them (or as someone
    /// changed them later), silently, until the next change. It now applies the records whole.
    func testAfterAFailedChangeTheGuardAppliesTheRecords() throws {
        let warnings = Warnings()
        driver = try makeDriver(logger: Logger(label: "test", factory: { _ in CapturingHandler(warnings: warnings) }))
        let network = try createNetwork()
        firewall.setFailing(true)
        XCTAssertThrowsError(try createNetwork(2, subnets: [NetworkSubnet(pool: IPPrefix("10.2.0.0/24")!, gateway: IPAddress("10.2.0.1")!)]))
        firewall.setFailing(false)
        XCTAssertFalse(firewall.knowsWhatItInstalled)
        let applied = firewall.applied
        driver.guardFirewall()
        XCTAssertEqual(firewall.applied, applied + 1, "the guard applied the records")
        XCTAssertEqual(firewall.networks, [network])
        XCTAssertTrue(firewall.knowsWhatItInstalled)
        XCTAssertEqual(warnings.lines.withLock { $0 }, ["re-applied swiftnet's iptables chains after a change that failed roundsInARow=1 rulesDiffering=1"])
        driver.guardFirewall()
        XCTAssertEqual(firewall.applied, applied + 1, "then it compares again")
    }
}
