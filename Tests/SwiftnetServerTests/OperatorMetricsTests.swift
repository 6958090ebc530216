import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// `GET /metrics` and `GET /healthz` after a known sequence of calls, on the plugin socket and
/// on the `--metrics-listen` TCP listener. IPAM calls only: no root needed.
final class OperatorMetricsTests: XCTestCase {
    var server: ServerProcess!

    override func setUpWithError() throws {
        server = ServerProcess()
        server.extraArguments = ["--metrics-listen", "127.0.0.1:0", "--chain-prefix", "SWM" + Shell.randomHex(6).uppercased()]
        try server.start()
    }

    override func tearDown() {
        server?.cleanUp()
    }

    /// `name{labels} value` lines of a Prometheus exposition, comments skipped.
    func testMetricsCountTheCallsAndShowThePools() throws {
        let client = try server.client()
        let base = "10.\(Int.random(in: 100...199)).\(Int.random(in: 0...250))"
        let pool = try client.requestPool("\(base).0/24")
        _ = try client.requestAddress(pool: pool.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#)
        let first = try client.requestAddress(pool: pool.id)
        _ = try client.requestAddress(pool: pool.id)
        try client.releaseAddress(pool: pool.id, address: String(first.split(separator: "/")[0]))
        let refused = try client.call("/IpamDriver.RequestAddress", #"{"Address":"","PoolID":"no-such-pool"}"#)
        XCTAssertEqual(refused.status, 500)
        let health = try client.get("/healthz")
        XCTAssertEqual(health.status, 200)
        XCTAssertTrue(health.text.contains(#""status":"ok""#), health.text)

        // Every mutating call logs one line; a failure says what and about which ids.
        let log = server.log
        XCTAssertTrue(log.contains("IpamDriver.RequestAddress failed") && log.contains("poolID=no-such-pool"), log)
        XCTAssertTrue(log.contains("info swiftnet: ") && log.contains("RequestPool"), log)

        let response = try client.get("/metrics")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        let samples = PrometheusSamples.parse(response.text)
        let expected: [String: Double] = [
            #"swiftnet_requests_total{call="IpamDriver.RequestPool",status="200"}"#: 1,
            #"swiftnet_requests_total{call="IpamDriver.RequestAddress",status="200"}"#: 3,
            #"swiftnet_requests_total{call="IpamDriver.RequestAddress",status="500"}"#: 1,
            #"swiftnet_requests_total{call="IpamDriver.ReleaseAddress",status="200"}"#: 1,
            #"swiftnet_requests_total{call="GET /healthz",status="200"}"#: 1,
            #"swiftnet_request_duration_seconds_count{call="IpamDriver.RequestAddress"}"#: 4,
            #"swiftnet_request_duration_seconds_bucket{call="IpamDriver.RequestAddress",le="+Inf"}"#: 4,
            #"swiftnet_pool_allocated_addresses{pool="\#(pool.id)",prefix="\#(base).0/24"}"#: 2,
            #"swiftnet_pool_capacity_addresses{pool="\#(pool.id)",prefix="\#(base).0/24"}"#: 254,
            "swiftnet_pools": 1, "swiftnet_allocations": 2, "swiftnet_networks": 0, "swiftnet_endpoints": 0,
            #"swiftnet_build_info{version="0.2.0"}"#: 1,
        ]
        for (name, value) in expected.sorted(by: { $0.key < $1.key }) {
            XCTAssertEqual(samples[name], value, "\(name) in:\n\(response.text)")
        }
        // Latencies land in buckets: the 1 s bucket holds every RequestAddress, and buckets only grow.
        XCTAssertEqual(samples[#"swiftnet_request_duration_seconds_bucket{call="IpamDriver.RequestAddress",le="1.0"}"#], 4,
                       response.text)
        // Only the plugin's calls are labels: unknown paths are counted together.
        _ = try client.call("/Made.Up\(Shell.randomHex(4))")
        let after = PrometheusSamples.parse(try client.get("/metrics").text)
        XCTAssertEqual(after[#"swiftnet_requests_total{call="unknown",status="404"}"#], 1)
        XCTAssertFalse(after.keys.contains { $0.contains("Made.Up") })

        // The same registry over TCP, for Prometheus.
        let listening = try XCTUnwrap(server.log.range(of: #"address=127\.0\.0\.1:[0-9]+"#, options: .regularExpression)
            .map { String(server.log[$0].dropFirst("address=".count)) }, server.log)
        let scraped = Shell.run("/usr/bin/curl", ["-s", "-m", "5", "http://\(listening)/metrics"])
        XCTAssertTrue(scraped.succeeded, scraped.both)
        XCTAssertEqual(PrometheusSamples.parse(scraped.output)[#"swiftnet_requests_total{call="IpamDriver.RequestAddress",status="200"}"#], 3)
        let notServed = Shell.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-m", "5", "http://\(listening)/state"])
        XCTAssertEqual(notServed.output, "404", "the TCP listener answers only /metrics and /healthz")
    }
}

extension OperatorMetricsTests {
    /// A second server refused because the metrics port is taken leaves nothing behind: the
    /// port is bound before the state is opened (until December 2026 the refused server had
    /// created its state files, and restored its chain prefix's firewall, first).
    func testAStartRefusedForATakenMetricsPortLeavesNoState() throws {
        let line = try XCTUnwrap(server.log.split(separator: "\n").first { $0.contains("metrics listening") }, server.log)
        let port = try XCTUnwrap(line.split(separator: ":").last.flatMap { UInt16($0) }, String(line))
        let folder = server.folder + "/second"
        let refused = Shell.run(ServerProcess.binary, ["serve", "--socket", folder + "/plugin.sock", "--state", folder + "/state/swiftnet.db",
                                                       "--metrics-listen", "127.0.0.1:\(port)",
                                                       "--chain-prefix", "SWM" + Shell.randomHex(6).uppercased()], timeout: 20)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.error.contains("cannot start") && refused.error.contains("127.0.0.1"), refused.both)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "the refused server left \(folder)")
        XCTAssertEqual(try server.client().get("/healthz").status, 200)
    }
}
