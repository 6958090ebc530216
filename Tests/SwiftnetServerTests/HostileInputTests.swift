import Foundation
import SwiftnetClient
import SwiftnetFirewall
import SwiftnetPlugin
import SwiftnetTestSupport
import XCTest

/// Requests no dockerd sends, over the real socket: each is refused with its reason, changes
/// nothing, and neither stops the server nor writes a line into its log that it did not mean.
/// All are refused before any kernel work, so no root is needed; should one get through (a
/// regression), its bridge and chains are this test's own and removed at the end.
final class HostileInputTests: XCTestCase {
    var server: ServerProcess!
    var client: UnixHTTPClient!
    let chainPrefix = "SWH" + Shell.randomHex(6).uppercased()
    let networkID = Shell.randomHex(64)

    override func setUpWithError() throws {
        server = ServerProcess()
        server.extraArguments = ["--default-address-pool", "base=10.198.0.0/16,size=24", "--chain-prefix", chainPrefix]
        try server.start()
        client = try server.client()
    }

    override func tearDownWithError() throws {
        client?.close()
        server?.cleanUp()
        if getuid() == 0 {
            Shell.ip("link", "del", "swn-" + networkID.prefix(10))
            try? Firewall(prefix: chainPrefix).remove()
        }
    }

    func assertRefused(_ path: String, _ body: String, status: Int = 500, saying text: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let response = try client.post(path, body: Array(body.utf8))
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String]
        XCTAssertTrue(object?["Err"]?.contains(text) == true, "\(response.text) lacks \(text)", file: file, line: line)
        XCTAssertEqual(server.process?.isRunning, true, "server alive after \(path)", file: file, line: line)
    }

    /// Each of these trapped the Swift runtime and killed the server.
    func testNumbersBeyondInt64AreRefusedByName() throws {
        let network = networkID
        try assertRefused("/NetworkDriver.CreateNetwork",
                          #"{"NetworkID":"\#(network)","Options":{"com.docker.network.generic":{"foo":1e19}},"IPv4Data":[],"IPv6Data":[]}"#,
                          saying: "invalid option foo=1e+19: expected a string or an integer")
        try assertRefused("/NetworkDriver.CreateNetwork",
                          #"{"NetworkID":"\#(network)","Options":{"com.docker.network.generic":{"foo":-9.3e18}},"IPv4Data":[],"IPv6Data":[]}"#,
                          saying: "invalid option foo=-9.3e+18")
        for (key, value) in [("Proto", "9.3e18"), ("Port", "-1e19"), ("HostPort", "1e308"), ("HostPortEnd", "9223372036854775807")] {
            var entry = ["Proto": "6", "IP": "\"\"", "Port": "80", "HostIP": "\"\"", "HostPort": "8080", "HostPortEnd": "8080"]
            entry[key] = value
            let portmap = "[{" + entry.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}]"
            try assertRefused("/NetworkDriver.CreateEndpoint",
                              #"{"NetworkID":"\#(network)","EndpointID":"\#(network)","Interface":{"Address":"10.1.0.2/24"},"Options":{"com.docker.network.portmap":\#(portmap)}}"#,
                              saying: "invalid port binding: \(key) is")
            try assertRefused("/NetworkDriver.ProgramExternalConnectivity",
                              #"{"NetworkID":"\#(network)","EndpointID":"\#(network)","Options":{"com.docker.network.portmap":\#(portmap)}}"#,
                              saying: "invalid port binding: \(key) is")
        }
        XCTAssertEqual(try client.post("/Plugin.Activate", body: []).status, 200)
    }

    func testSpecialPurposeRangesAreRefused() throws {
        try assertRefused("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"127.0.0.0/24","SubPool":"","Options":{},"V6":false}"#,
                          saying: "invalid address pool 127.0.0.0/24: 127.0.0.0/8 is loopback")
        try assertRefused("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"fe80::/64","SubPool":"","Options":{},"V6":true}"#,
                          saying: "invalid address pool fe80::/64: fe80::/10 is link-local")
        // Docker 29's size-only pool is not 0.0.0.0/8.
        let sized = try client.requestPool("0.0.0.0/26")
        XCTAssertEqual(sized.pool, "10.198.0.0/26")
        // -d swiftnet with dockerd's own IPAM: the driver checks what it is given.
        let network = networkID
        func createNetwork(pool: String, gateway: String) -> String {
            #"{"NetworkID":"\#(network)","Options":{"com.docker.network.enable_ipv4":true,"com.docker.network.enable_ipv6":false,"com.docker.network.generic":{}},"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway)","Pool":"\#(pool)"}],"IPv6Data":[]}"#
        }
        try assertRefused("/NetworkDriver.CreateNetwork", createNetwork(pool: "169.254.7.0/24", gateway: "169.254.7.1/24"),
                          saying: "invalid IPAM data: pool 169.254.7.0/24: 169.254.0.0/16 is link-local")
        try assertRefused("/NetworkDriver.CreateNetwork", createNetwork(pool: "10.197.0.0/24", gateway: "10.197.0.255/24"),
                          saying: "gateway 10.197.0.255 is the broadcast address of 10.197.0.0/24")
        try assertRefused("/NetworkDriver.CreateNetwork", createNetwork(pool: "10.197.0.0/24", gateway: "10.197.0.0/24"),
                          saying: "gateway 10.197.0.0 is the network address of 10.197.0.0/24")
        let state = try JSONSerialization.jsonObject(with: Data(try client.get("/state").body)) as? [String: Any]
        XCTAssertEqual((state?["networks"] as? [Any])?.count, 0, "nothing was made")
        XCTAssertEqual((state?["pools"] as? [Any])?.count, 1, "only the size-only pool")
    }

    /// A client's CR/LF cannot start a log line of its own: every request leaves one line
    /// holding its text, escaped.
    func testRequestStringsCannotForgeLogLines() throws {
        let forged = "2026-01-01T00:00:00+0000 critical swiftnet: [swiftnet] forged"
        // Logged as a notice (a pool not held), as a failure (an invalid address), and as a path.
        _ = try client.post("/IpamDriver.ReleasePool", body: Array(#"{"PoolID":"marker-one\r\n\#(forged)"}"#.utf8))
        _ = try client.post("/IpamDriver.ReleaseAddress", body: Array(#"{"PoolID":"p","Address":"marker-two\r\n\#(forged)\u001b[2J"}"#.utf8))
        XCTAssertEqual(try client.post("/marker-three%0d%0a" + forged.replacingOccurrences(of: " ", with: "%20"), body: []).status, 404)
        let deadline = Date().addingTimeInterval(5)
        while !server.log.contains("marker-three") && Date() < deadline { usleep(20_000) }
        let lines = server.log.split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(lines.filter { $0.contains("marker-one") }.count, 1, server.log)
        XCTAssertEqual(lines.filter { $0.contains("marker-two") }.count, 1, server.log)
        XCTAssertGreaterThanOrEqual(lines.filter { $0.contains("marker-three") }.count, 1, server.log)
        XCTAssertEqual(lines.filter { $0.hasPrefix("2026-01-01") }.count, 0, "a forged line: \(server.log)")
        XCTAssertTrue(server.log.contains(#"marker-one\r\n2026-01-01T00:00:00+0000 critical"#), server.log)
        XCTAssertTrue(server.log.contains(#"\u{1B}[2J"#), server.log)
        XCTAssertFalse(server.log.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "a raw control character in the log")
    }
}
