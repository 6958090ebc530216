import Foundation
import SwiftnetTestSupport
import XCTest

/// `swiftnet-bench` runs its subcommands to the end and prints its figures and ratios. Nothing
/// here checks a figure: timings belong in the benchmark's report, not in pass/fail tests.
final class BenchmarkRunsTests: XCTestCase {
    /// The `swiftnet-bench` built beside `swiftnet`.
    static var bench: String {
        URL(fileURLWithPath: ServerProcess.binary).deletingLastPathComponent().appendingPathComponent("swiftnet-bench").path
    }

    func run(_ arguments: [String]) throws -> String {
        let result = Shell.run(BenchmarkRunsTests.bench, arguments + ["--server", ServerProcess.binary], timeout: 180)
        XCTAssertTrue(result.succeeded, "swiftnet-bench \(arguments.joined(separator: " ")): \(result.output)")
        return result.output
    }

    func testIPAMBenchmarkMeasuresFloorBaselineAndSwiftnet() throws {
        let output = try run(["ipam", "--seconds", "0.2"])
        for line in ["floor (C, canned answer), 1 connection", "floor (C, canned answer), 8 connections",
                     "libmicrohttpd (canned answer), 1 connection", "swiftnet, 1 connection", "swiftnet, 8 connections",
                     "one SQLite commit", "where one request's time goes", "CPU µs/req", "swiftnet's own work, server CPU per request", "targets: serial"] {
            XCTAssertTrue(output.contains(line), "missing \(line) in:\n\(output)")
        }
    }

    func testPoolBenchmarkPrintsTheRatio() throws {
        let output = try run(["pools", "--count", "40"])
        XCTAssertTrue(output.contains("RequestPool #10"), output)
        XCTAssertTrue(output.contains("server, over the socket"), output)
    }

    func testPortsBenchmarkPrintsPerBindingRatioAndRange() throws {
        try XCTSkipUnless(getuid() == 0, "the ports benchmark makes a namespace")
        let output = try run(["ports", "--small", "5", "--large", "20", "--range", "30",
                              "--few-endpoints", "1", "--many-endpoints", "3", "--starts", "2"])
        XCTAssertTrue(output.contains("per binding at 20 ÷ at 5"), output)
        XCTAssertTrue(output.contains("-p 20000-20029:20000-20029 (30 bindings)"), output)
        XCTAssertTrue(output.contains("with 1 endpoints publishing"), output)
    }

    func testNetworksBenchmarkPrintsCreateAndDeleteRatios() throws {
        try XCTSkipUnless(getuid() == 0, "the networks benchmark makes a namespace and bridges")
        let output = try run(["networks", "--count", "30"])
        for line in ["no published port: CreateNetwork #10", "#30", "no published port: DeleteNetwork with 10 held",
                     "with a published port: CreateNetwork #10", "with a published port: DeleteNetwork with 10 held",
                     "with a published port: slowest of the last 100 CreateNetwork calls"] {
            XCTAssertTrue(output.contains(line), "missing \(line) in:\n\(output)")
        }
    }

    /// Packets really cross the bridge, the rules and the host: a lost or unanswered packet
    /// fails the run (no answer at all is an error; the "0 lost" is checked here).
    func testForwardingBenchmarkPrintsRoundTripsAgainstOneNetwork() throws {
        try XCTSkipUnless(getuid() == 0, "the forwarding benchmark makes namespaces, bridges and rules")
        let output = try run(["forwarding", "--count", "20", "--packets", "200"])
        for way in ["container → peer", "peer → host itself"] {
            for line in ["\(way), 1 network: round trip median", "\(way), 2 networks: round trip median",
                         "\(way), 20 networks: round trip median"] {
                XCTAssertTrue(output.contains(line), "missing \(line) in:\n\(output)")
            }
        }
        // The 1-network lines are the baseline (another count may round to 1.00 as well).
        for way in ["container → peer", "peer → host itself"] {
            let line = output.split(separator: "\n").first { $0.contains("\(way), 1 network: round trip median") }
            XCTAssertTrue(line?.contains("ratio to 1 network 1.00") == true, "\(line ?? "no 1-network line") in:\n\(output)")
        }
        XCTAssertEqual(output.components(separatedBy: " 0 lost;").count - 1, 6, output)
    }

    func testLifecycleBenchmarkPrintsTheTargetAgainstTheSameKernelWork() throws {
        try XCTSkipUnless(getuid() == 0, "the lifecycle benchmark makes bridges and veths")
        let output = try run(["lifecycle", "--cycles", "20", "--fork-cycles", "5"])
        for line in ["swiftnet lifecycle (6 calls, netlink)", "same kernel work by forking ip (4 forks)",
                     "simple fork-ip plugin (4 forks, sync delete)", "target: bridge lifecycle ≥ 20x the same kernel work by forking ip"] {
            XCTAssertTrue(output.contains(line), "missing \(line) in:\n\(output)")
        }
        XCTAssertTrue(output.contains("(met)") || output.contains("(NOT met)"), output)
    }

    func testStartupBenchmarkPrintsTimeAndRSS() throws {
        let output = try run(["startup", "--allocations", "1000", "--networks", "2", "--endpoints", "4", "--startups", "1"])
        XCTAssertTrue(output.contains("time to first answer"), output)
        XCTAssertTrue(output.contains("RSS at first answer"), output)
    }
}
