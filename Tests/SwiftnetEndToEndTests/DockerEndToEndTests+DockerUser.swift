import Foundation
import SwiftnetTestSupport
import XCTest

/// Docker's contract with its users: rules in DOCKER-USER see forwarded container traffic
/// before any of Docker's own. swiftnet's containers are covered by the same promise.
extension DockerEndToEndTests {
    func testADropInDockerUserBlocksAPublishedPortOfASwiftnetContainer() throws {
        let subnet = try freeSubnet()
        let network = try createNetwork(["--subnet", subnet.cidr])
        let host = try makeTestHost()
        let port = try freeHostPort()
        let web = try runContainer("web", network: network.name, extra: ["-p", "\(port):8080"],
                                   command: httpd(content: "user-\(tag)"))
        let address = try containerIPv4(web, network: network.name)
        let url = "http://\(host.hostSide):\(port)/"
        eventually("\(url) from the test host before any DOCKER-USER rule") {
            let page = Self.fetchFromHost(url, namespace: host.namespace)
            return (page.output.contains("user-\(tag)"), page.both)
        }
        // Forwarded traffic is matched after DNAT: the container's address and port.
        let match = ["-d", address + "/32", "-p", "tcp", "--dport", "8080", "-j", "DROP"]
        let inserted = Shell.run("/usr/sbin/iptables", ["-w", "-t", "filter", "-I", "DOCKER-USER", "1"] + match)
        XCTAssertEqual(inserted.status, 0, inserted.both)
        defer { Shell.run("/usr/sbin/iptables", ["-w", "-t", "filter", "-D", "DOCKER-USER"] + match) }
        // dockerd may reorder FORWARD when networks are made; the guard puts swiftnet's jump
        // back after DOCKER-USER within 5 s, so the answer is checked for longer than that.
        var answered: [String] = []
        for _ in 0..<8 {
            let page = Self.fetchFromHost(url, namespace: host.namespace)
            if page.output.contains("user-\(tag)") { answered.append(page.both) }
            usleep(800_000)
        }
        XCTAssertEqual(answered, [], "a DROP in DOCKER-USER must stop traffic to a swiftnet container's published port")
        let forward = Shell.run("/usr/sbin/iptables", ["-w", "-S", "FORWARD"]).output.split(separator: "\n").map(String.init)
        if let user = forward.firstIndex(of: "-A FORWARD -j DOCKER-USER"), let mine = forward.firstIndex(of: "-A FORWARD -j \(chainPrefix ?? "SWIFTNET")-FORWARD") {
            XCTAssertLessThan(user, mine, "swiftnet's jump comes after DOCKER-USER's: \(forward)")
        }
    }
}
