import Logging
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
}
