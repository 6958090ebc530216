import Foundation
import SwiftnetClient
import SwiftnetPlugin
import SwiftnetTestSupport
import XCTest

/// Calls replayed as dockerd 29.7.2 sends them, byte for byte where it matters (headers, key
/// order, the trailing newline) — shared/docs/docker29-wire.md §1–§4 — beside the end-to-end
/// tests that run on Debian's dockerd 20.10.
extension BridgeDataplaneTests {
    /// One request exactly as Go's client writes it: these headers in this order, nothing else.
    func dockerd29(_ path: String, _ json: String, host: String = "plugin.moby.localhost") throws -> (status: Int, object: [String: Any]) {
        let body = Array((json.isEmpty ? "" : json + "\n").utf8)
        let head = "POST \(path) HTTP/1.1\r\nHost: \(host)\r\nUser-Agent: Go-http-client/1.1\r\nContent-Length: \(body.count)\r\n"
            + "Accept: application/vnd.docker.plugins.v1.2+json\r\n\r\n"
        let raw = try server.client()
        defer { raw.close() }
        try raw.sendRaw(Array(head.utf8) + body)
        let response = try raw.readResponse()
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        return (response.status, object ?? ["<raw>": response.text])
    }

    /// Both Host headers seen on the wire: 29's `plugin.moby.localhost` and 20.10's empty one.
    func testHostHeadersOfBothEngines() throws {
        for host in ["plugin.moby.localhost", ""] {
            let activate = try dockerd29("/Plugin.Activate", "", host: host)
            XCTAssertEqual(activate.status, 200, "Host '\(host)': \(activate.object)")
            XCTAssertEqual(activate.object["Implements"] as? [String], ["NetworkDriver", "IpamDriver"])
            let spaces = try dockerd29("/IpamDriver.GetDefaultAddressSpaces", "", host: host)
            XCTAssertEqual(spaces.object["LocalDefaultAddressSpace"] as? String, "LocalDefault")
        }
    }

    /// `docker network create --subnet S --ipv6 --subnet fd…/64` (user IPv6 subnet: 29 sends
    /// `AuxAddresses: {}`), then `docker run --ip` on a network without a user subnet (29
    /// allows it: an explicit address in an IPAM-chosen pool), with 29's call order.
    func testAuxAddressesEmptyObjectAndIPWithoutSubnet() throws {
        let v4 = try dockerd29("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"","SubPool":"","Options":{},"V6":false}"#)
        XCTAssertEqual(v4.status, 200, "\(v4.object)")
        let v4Pool = try XCTUnwrap(v4.object["PoolID"] as? String), v4Prefix = try XCTUnwrap(v4.object["Pool"] as? String)
        let gw4 = try dockerd29("/IpamDriver.RequestAddress", #"{"PoolID":"\#(v4Pool)","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}"#)
        let v6Subnet = "fd00:\(String(Int.random(in: 0x100...0xfff), radix: 16))::/64"
        let v6 = try dockerd29("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"\#(v6Subnet)","SubPool":"","Options":{},"V6":true}"#)
        let v6Pool = try XCTUnwrap(v6.object["PoolID"] as? String)
        let gw6 = try dockerd29("/IpamDriver.RequestAddress", #"{"PoolID":"\#(v6Pool)","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}"#)
        let gateway4 = try XCTUnwrap(gw4.object["Address"] as? String), gateway6 = try XCTUnwrap(gw6.object["Address"] as? String)
        let id = Shell.randomHex(64)
        bridges.append("swn-" + id.prefix(10))
        let create = try dockerd29("/NetworkDriver.CreateNetwork",
            #"{"NetworkID":"\#(id)","Options":{"com.docker.network.enable_ipv4":true,"com.docker.network.enable_ipv6":true,"com.docker.network.generic":{}},"IPv4Data":[{"AddressSpace":"LocalDefault","Gateway":"\#(gateway4)","Pool":"\#(v4Prefix)"}],"IPv6Data":[{"AddressSpace":"LocalDefault","AuxAddresses":{},"Gateway":"\#(gateway6)","Pool":"\#(v6Subnet)"}]}"#)
        XCTAssertEqual(create.status, 200, "\(create.object)")
        let shown = Shell.ip("-o", "addr", "show", "dev", "swn-" + id.prefix(10)).output
        XCTAssertTrue(shown.contains("inet \(gateway4)") && shown.contains("inet6 \(gateway6)"), shown)

        // `docker run --ip`: an address of the chosen pool, named as 29 names it.
        let base = v4Prefix.split(separator: "/")[0].split(separator: ".")
        let wanted = "\(base[0]).\(base[1]).\(base[2]).77"
        let requested = try dockerd29("/IpamDriver.RequestAddress", #"{"PoolID":"\#(v4Pool)","Address":"\#(wanted)","Options":{"com.docker.network.endpoint.name":"z1"}}"#)
        XCTAssertEqual(requested.status, 200, "\(requested.object)")
        XCTAssertEqual((requested.object["Address"] as? String)?.split(separator: "/").first.map(String.init), wanted)
    }

    /// dockerd 29 killed with containers running, then started: for every endpoint of the
    /// dead daemon it sends Leave, DeleteEndpoint and ReleaseAddress, but no
    /// RevokeExternalConnectivity. The published port must go with DeleteEndpoint, and one
    /// EndpointOperInfo (29 sends one per join) must already show it before.
    func testEndpointsOfACrashedDockerdLoseTheirPortsWithoutRevoke() throws {
        let network = try createNetwork()
        let web = try addContainer(to: network, name: "web")
        let port = Int.random(in: 30_000...39_999)
        let portmap = #"[{"Proto":6,"IP":"","Port":8080,"HostIP":"","HostPort":\#(port),"HostPortEnd":\#(port)}]"#
        let program = try dockerd29("/NetworkDriver.ProgramExternalConnectivity",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(web.endpointID)","Options":{"com.docker.network.endpoint.exposedports":[{"Proto":6,"Port":8080}],"com.docker.network.portmap":\#(portmap)}}"#)
        XCTAssertEqual(program.status, 200, "\(program.object)")
        let info = try dockerd29("/NetworkDriver.EndpointOperInfo", #"{"NetworkID":"\#(network.id)","EndpointID":"\#(web.endpointID)"}"#)
        XCTAssertEqual(((info.object["Value"] as? [String: Any])?["swiftnet.published"] as? [String]), ["*:\(port)->8080/tcp"])
        XCTAssertTrue(ourRules().contains { $0.contains("--dport \(port) ") })

        // The restarted dockerd's clean-up: no Revoke.
        XCTAssertEqual(try dockerd29("/NetworkDriver.Leave", #"{"NetworkID":"\#(network.id)","EndpointID":"\#(web.endpointID)"}"#).status, 200)
        XCTAssertEqual(try dockerd29("/NetworkDriver.DeleteEndpoint", #"{"NetworkID":"\#(network.id)","EndpointID":"\#(web.endpointID)"}"#).status, 200)
        XCTAssertEqual(try dockerd29("/IpamDriver.ReleaseAddress", #"{"PoolID":"\#(network.poolID)","Address":"\#(web.address)"}"#).status, 200)
        XCTAssertFalse(ourRules().contains { $0.contains("--dport \(port) ") }, "the port went with the endpoint")

        // The restarted container publishes the same port again.
        let again = try addContainer(to: network, name: "web")
        let reprogram = try dockerd29("/NetworkDriver.ProgramExternalConnectivity",
            #"{"NetworkID":"\#(network.id)","EndpointID":"\#(again.endpointID)","Options":{"com.docker.network.endpoint.exposedports":[{"Proto":6,"Port":8080}],"com.docker.network.portmap":\#(portmap)}}"#)
        XCTAssertEqual(reprogram.status, 200, "\(reprogram.object)")
    }
}
