import Foundation
import XCTest
import SwiftnetAddress
import SwiftnetEtcd
@testable import SwiftnetMultiHost

/// A host's server killed with SIGKILL in the middle of claims (8 threads claiming), twice: no
/// address is ever held twice, every claim the dead process answered is in etcd, the claims it
/// made but never answered are at most one per thread, and `gc --node` frees them all once the
/// host's lease has run out.
final class HostCrashTests: EtcdTestCase {
    var worker: Process?
    var logPath = ""

    override func tearDown() {
        if let worker, worker.isRunning {
            kill(worker.processIdentifier, SIGKILL)
            worker.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: logPath)
        super.tearDown()
    }

    var workerPath: String {
        // Built next to the test bundle by `swift build --build-tests`.
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("swiftnet-claim-worker").path
    }

    /// Starts the worker as host `h2`, waits for `claims` more answered claims, kills it.
    func runAndKill(untilAnswered claims: Int) throws {
        let before = answered().count
        let process = Process()
        process.executableURL = URL(fileURLWithPath: workerPath)
        process.arguments = [server.url, "h2", "blue", logPath, "8"]
        try process.run()
        worker = process
        let start = Date()
        while answered().count < before + claims {
            XCTAssertTrue(process.isRunning, "the worker exited early")
            guard process.isRunning, Date().timeIntervalSince(start) < 30 else { throw XCTSkip("worker too slow") }
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
    }

    /// (address, owner) lines the worker wrote after etcd answered.
    func answered() -> [(address: IPAddress, owner: String)] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let address = IPAddress(parts[0]) else { return nil }
            return (address, String(parts[1]))
        }
    }

    func testKillNineMidClaimNeverHoldsAnAddressTwiceAndGCFreesWhatTheDeadHostLeft() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: workerPath), "swiftnet-claim-worker not built")
        logPath = NSTemporaryDirectory() + "swiftnet-claims-\(UUID().uuidString.prefix(8)).log"
        let etcd = client()
        let network = try NetworkRegistry(etcd: etcd).ensure(name: "blue", subnet: IPPrefix("10.70.0.0/16"), host: "h1")
        let h1 = try AddressAllocator(etcd: etcd, host: "h1")
        try h1.reserveGateway(of: network)
        let mine = try (0..<20).map { try h1.allocate(in: network, owner: "h1-ep\($0)") }

        try runAndKill(untilAnswered: 150)
        try runAndKill(untilAnswered: 150)  // restarted, and killed again

        let log = answered()
        XCTAssertEqual(Set(log.map(\.address)).count, log.count, "the dead host was answered one address twice")
        let claims = try h1.allocator(named: "h2").claims(in: "blue")
        let held = claims.filter { $0.host == "h2" }
        let byOwner = Dictionary(grouping: held, by: \.owner)
        XCTAssertTrue(byOwner.values.allSatisfy { $0.count == 1 }, "an owner holds two addresses")
        let heldByAddress = Dictionary(uniqueKeysWithValues: held.map { ($0.address, $0.owner) })
        for entry in log { XCTAssertEqual(heldByAddress[entry.address], entry.owner, "answered claim \(entry) is not in etcd as answered") }
        let unanswered = held.count - log.count
        XCTAssertGreaterThanOrEqual(unanswered, 0)
        XCTAssertLessThanOrEqual(unanswered, 16, "at most one unanswered claim per thread per kill")
        for claim in mine { XCTAssertEqual(heldByAddress[claim.address], nil, "h2 holds h1's \(claim.address)") }
        print("multihost: two kill -9 of a claiming host: \(log.count) answered claims, \(unanswered) made but unanswered")

        // Until its lease runs out the host counts as alive; then gc frees exactly its claims.
        try eventually(10, "h2's lease to run out") { try HostMembership.liveHosts(etcd: etcd).isEmpty }
        let report = try HostGarbageCollector(etcd: etcd).collect(node: "h2")
        XCTAssertEqual(Set(report.freed.map(\.address)), Set(held.map(\.address)))
        XCTAssertEqual(report.endpointsDeleted, 0, "its endpoint locations went with its lease")
        let left = try h1.claims(in: "blue")
        XCTAssertEqual(Set(left.map(\.owner)), Set(mine.map(\.owner) + ["gateway"]))
    }
}

extension AddressAllocator {
    /// The same etcd, as another host (reads only).
    func allocator(named host: String) throws -> AddressAllocator {
        try AddressAllocator(etcd: etcd, host: host, keys: keys)
    }
}
