import Foundation
import SwiftnetTestSupport
import XCTest

/// `docker rename` and a new container under the old name, on a real dockerd: Docker
/// Compose's recreate does exactly rename → create → remove.
///
/// dockerd 20.10 (the one on these machines) sends no container name with RequestAddress, so
/// this cannot reach swiftnet's name-based decisions (sticky names, crash retries; the
/// protocol tests cover those with Docker 29's bodies). What it proves on a real engine:
/// both containers run at once with their own address and MAC, removing the renamed one
/// frees its address and leaves the new one's address, veth and traffic alone, and the new
/// one's address stays refused to `--ip`.
final class DockerRenameTests: DockerTestCase {
    func testRenameThenRunUnderTheOldNameKeepsBothApart() throws {
        let subnet = try freeSubnet()  // 20.10 allows --ip only with a user subnet
        let network = try createNetwork(["--subnet", subnet.cidr])
        let web = try runContainer("web", network: network.name)
        let firstIP = try containerIPv4(web, network: network.name)
        let firstMAC = try containerNetworkSettings(web, network: network.name)["MacAddress"] as? String ?? ""

        let old = "swt-\(tag)-web-old"
        containers.append(old)
        try docker(["rename", web, old])
        let again = try runContainer("web", network: network.name)
        XCTAssertEqual(again, web)
        let secondIP = try containerIPv4(again, network: network.name)
        let secondMAC = try containerNetworkSettings(again, network: network.name)["MacAddress"] as? String ?? ""
        XCTAssertNotEqual(secondIP, firstIP, "web-old still runs on \(firstIP)")
        XCTAssertNotEqual(secondMAC.lowercased(), firstMAC.lowercased())
        for container in [old, again] {
            XCTAssertEqual(try docker(["inspect", "--format", "{{.State.Running}}", container]), "true", container)
        }
        eventually("the new web reaches web-old at \(firstIP)") {
            let ping = self.exec(again, ["ping", "-c", "1", "-W", "2", firstIP])
            return (ping.status == 0, ping.both)
        }

        try docker(["rm", "-f", old])
        containers.removeAll { $0 == old }
        XCTAssertEqual(try containerIPv4(again, network: network.name), secondIP)
        let eth0 = exec(again, ["ip", "addr", "show", "eth0"])
        XCTAssertTrue(eth0.output.contains("inet \(secondIP)/24 "), eth0.both)
        XCTAssertTrue(eth0.output.lowercased().contains("link/ether \(secondMAC.lowercased())"), eth0.both)
        eventually("the new web still reaches its gateway \(subnet.host(1))") {
            let ping = self.exec(again, ["ping", "-c", "1", "-W", "2", subnet.host(1)])
            return (ping.status == 0, ping.both)
        }

        containers.append("swt-\(tag)-third")
        let third = Shell.run(Self.docker, runArguments("third", network: network.name, extra: ["--ip", secondIP]), timeout: 60)
        XCTAssertNotEqual(third.status, 0, "--ip \(secondIP) while the new web holds it: \(third.both)")
        XCTAssertTrue(third.error.contains("already in use: \(secondIP)"), third.both)
        // web-old's address is free again.
        let reuse = try runContainer("reuse", network: network.name, extra: ["--ip", firstIP])
        XCTAssertEqual(try containerIPv4(reuse, network: network.name), firstIP)
    }
}
