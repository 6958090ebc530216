import Foundation
import SwiftnetMultiHost
import SwiftnetTestSupport
import XCTest

/// What a multi-host network cannot honour is refused over the socket, naming why, and
/// changes nothing in etcd; what the doctor sees of its VXLAN device.
final class MultiHostRequestTests: MultiHostTestCase {
    func testAGatewayOrIPRangeItCannotHonourAndSpecialPurposeSubnetsAreRefused() throws {
        let host = try addHost()
        let network = try createNetwork(on: host, name: "race", subnet: "10.89.\(octet).0/24")
        let gatewayType = #"{"RequestAddressType":"com.docker.network.gateway"}"#
        XCTAssertEqual(try host.client.requestAddress(pool: network.poolID, address: network.gateway, options: gatewayType),
                       "\(network.gateway)/24", "the network's own gateway is fine")
        for asked in ["10.89.\(octet).254", "10.99.0.1"] {
            let (status, object) = try host.client.call("/IpamDriver.RequestAddress",
                #"{"PoolID":"\#(network.poolID)","Address":"\#(asked)","Options":\#(gatewayType)}"#)
            XCTAssertEqual(status, 500, asked)
            XCTAssertEqual("\(object["Err"] ?? "")", "multi-host network race has gateway \(network.gateway) on every host, not \(asked)")
        }
        let (rangeStatus, rangeObject) = try host.client.call("/IpamDriver.RequestPool",
            #"{"AddressSpace":"GlobalDefault","Pool":"10.98.\#(octet).0/24","SubPool":"10.98.\#(octet).0/25","Options":{"swiftnet.network":"ranged"},"V6":false}"#)
        XCTAssertEqual(rangeStatus, 500)
        XCTAssertTrue("\(rangeObject["Err"] ?? "")".contains("takes no --ip-range"), "\(rangeObject)")
        for subnet in ["127.0.0.0/24", "224.0.0.0/24", "169.254.0.0/24", "0.0.1.0/24"] {
            let (status, object) = try host.client.call("/IpamDriver.RequestPool",
                #"{"AddressSpace":"GlobalDefault","Pool":"\#(subnet)","SubPool":"","Options":{"swiftnet.network":"special"},"V6":false}"#)
            XCTAssertEqual(status, 500, subnet)
            XCTAssertTrue("\(object["Err"] ?? "")".contains("special-purpose"), "\(subnet): \(object)")
        }
        let registry = NetworkRegistry(etcd: etcdClient())
        XCTAssertNil(try registry.network(named: "special"), "a refused pool leaves no logical network behind")
        XCTAssertNil(try registry.network(named: "ranged"))
        // Docker 29's size-only subnet: any free subnet of that size.
        let sized = try host.client.requestPool("0.0.0.0/26", options: #"{"swiftnet.network":"sized"}"#)
        XCTAssertTrue(sized.pool.hasSuffix("/26") && !sized.pool.hasPrefix("0."), sized.pool)
    }

    /// `gc` frees an answered claim no endpoint holds, but never one asked for by value with no
    /// name: an `--aux-address` (dockerd sends `Options: null`) is held by no endpoint, ever.
    func testGCNeverFreesAnAuxAddressOfAMultiHostNetwork() throws {
        let host = try addHost()
        let network = try createNetwork(on: host, name: "aux", subnet: "10.91.\(octet).0/24")
        let aux = "10.91.\(octet).250"
        XCTAssertEqual(try host.client.requestAddress(pool: network.poolID, address: aux), "\(aux)/24")
        let leaked = String(try host.client.requestAddress(pool: network.poolID).split(separator: "/")[0])
        usleep(1_100_000)
        let (status, object) = try host.client.call("/Swiftnet.GC", #"{"DryRun": false, "MinimumAgeSeconds": 0}"#)
        XCTAssertEqual(status, 200, "\(object)")
        let freed = ((object["addresses"] as? [[String: Any]]) ?? []).compactMap { $0["address"] as? String }
        XCTAssertEqual(freed, [leaked], "\(object)")
        let holders = try AddressAllocator(etcd: etcdClient(), host: "test").claims(in: "aux").filter { $0.host == host.name }
        XCTAssertEqual(holders.map(\.address.description), [aux], "the aux address stays claimed")
    }

    /// A VXLAN device re-made by hand with another VNI: reported (traffic to other hosts stops),
    /// then re-made by `doctor --fix`.
    func testTheDoctorSeesAVXLANDeviceWithAnotherVNI() throws {
        let host = try addHost()
        let network = try createNetwork(on: host, name: "teal", subnet: "10.90.\(octet).0/24")
        XCTAssertFalse(try doctorFindings(host).contains("vxlan-missing"))
        try sh(Shell.ip("-n", host.namespace, "link", "del", network.vxlan))
        try sh(Shell.ip("-n", host.namespace, "link", "add", network.vxlan, "type", "vxlan", "id", "12345", "local", host.address,
                        "dstport", "4789", "nolearning", "proxy"))
        try sh(Shell.ip("-n", host.namespace, "link", "set", network.vxlan, "master", network.bridge, "mtu", "1450", "up"))
        let response = try host.client.get("/doctor")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let findings = (object["findings"] as? [[String: Any]]) ?? []
        XCTAssertEqual(findings.compactMap { $0["kind"] as? String }, ["vxlan-missing"], "\(findings)")
        XCTAssertTrue("\(findings.first?["problem"] ?? "")".contains("has VNI 12345"), "\(findings)")
        XCTAssertEqual(try host.client.call("/Swiftnet.Repair", "{}").status, 200)
        XCTAssertEqual(try doctorFindings(host), [])
        XCTAssertFalse(inHost(host, "/usr/sbin/ip", "-d", "link", "show", network.vxlan).output.contains("id 12345"))
    }

    /// `swiftnet pools` and `inspect` show a multi-host pool (address space `etcd`) with the
    /// addresses this host claimed, and name it as its network's pool.
    func testPoolsShowAMultiHostPoolWithThisHostsClaims() throws {
        let host = try addHost()
        let network = try createNetwork(on: host, name: "olive", subnet: "10.89.\(octet).0/24")
        let before = try poolView(host, network.poolID)
        _ = try host.client.requestAddress(pool: network.poolID)
        _ = try host.client.requestAddress(pool: network.poolID)
        let pool = try poolView(host, network.poolID)
        XCTAssertEqual(pool["multiHostNetwork"] as? String, "olive", "\(pool)")
        XCTAssertEqual(pool["addressSpace"] as? String, "etcd", "\(pool)")
        XCTAssertEqual(pool["prefix"] as? String, network.subnet, "\(pool)")
        XCTAssertEqual(pool["capacity"] as? String, "254", "\(pool)")
        XCTAssertEqual(pool["network"] as? String, network.id, "\(pool)")
        XCTAssertEqual((pool["allocated"] as? Int).map { $0 - ((before["allocated"] as? Int) ?? 0) }, 2, "two more claims: \(before) → \(pool)")
        let text = Shell.run(ServerProcess.binary, ["inspect", "--socket", host.server.socketPath, "--text", network.id])
        XCTAssertTrue(text.output.contains("pool \(network.poolID)"), text.both)
        XCTAssertFalse(text.output.contains("not swiftnet's"), text.both)
        let pools = Shell.run(ServerProcess.binary, ["pools", "--socket", host.server.socketPath])
        XCTAssertTrue(pools.output.contains(network.poolID) && pools.output.contains("etcd"), pools.both)
    }

    func poolView(_ host: Host, _ id: String) throws -> [String: Any] {
        let state = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try host.client.get("/state").body)) as? [String: Any])
        return try XCTUnwrap((state["pools"] as? [[String: Any]])?.first { $0["id"] as? String == id }, "\(state["pools"] ?? [])")
    }
}
