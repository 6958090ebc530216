import Foundation
import SwiftnetTestSupport
import XCTest

/// `-o swiftnet.mode=macvlan` under a real dockerd: the parent is one end of a veth pair whose
/// other end sits in a "LAN" namespace holding the LAN's gateway address, so the containers
/// are on that LAN and nothing leaves the machine.
final class DockerMacvlanTests: DockerTestCase {
    func testMacvlanContainerIsReachedFromTheLANAndByNameAndNetworkRmLeavesNoLink() throws {
        let parent = "swlp" + tag.prefix(6)
        let lan = "swt-lan-" + tag
        let base = "\(autoPoolBase).200"
        namespaces.append(lan)
        links.append(parent)
        for step in [["netns", "add", lan],
                     ["link", "add", parent, "type", "veth", "peer", "name", "lan0", "netns", lan],
                     ["-n", lan, "addr", "add", "\(base).1/24", "dev", "lan0"],
                     ["-n", lan, "link", "set", "lan0", "up"],
                     ["-n", lan, "link", "set", "lo", "up"],
                     ["link", "set", parent, "up"]] {
            let result = Shell.run(Shell.ipTool, step)
            XCTAssertEqual(result.status, 0, "ip \(step.joined(separator: " ")): \(result.both)")
        }
        let network = try createNetwork(["-o", "swiftnet.mode=macvlan", "-o", "parent=\(parent)",
                                         "--subnet", "\(base).0/24", "--gateway", "\(base).1"])
        let web = try runContainer("web", network: network.name, command: httpd(content: "lan-\(tag)"))
        let client = try runContainer("client", network: network.name)
        let address = try containerIPv4(web, network: network.name)
        XCTAssertTrue(address.hasPrefix(base + "."), address)

        // The child is in the container, not in the host's namespace.
        let inside = exec(web, ["ip", "-o", "link", "show", "eth0"])
        XCTAssertTrue(inside.output.contains("@"), "eth0 is a stacked link: \(inside.both)")
        eventually("the LAN reaches the container by its address") {
            let page = Self.fetchFromHost("http://\(address):8080/", namespace: lan)
            return (page.output.contains("lan-\(tag)"), page.both)
        }
        eventually("another container finds it by name") {
            let lookup = self.exec(client, ["timeout", "10", "nslookup", web], timeout: 20)
            let found = Self.nslookupAddresses(lookup.output).first(where: Self.isIPv4) ?? ""
            return (found == address, lookup.both)
        }
        eventually("and fetches from it") {
            let page = self.fetch(in: client, "http://\(address):8080/")
            return (page.output.contains("lan-\(tag)"), page.both)
        }
        XCTAssertTrue(exec(client, ["ping", "-c", "1", "-W", "2", "\(base).1"]).succeeded, "container → LAN gateway")

        try docker(["rm", "-f", web, client], timeout: 120)
        containers.removeAll()
        try docker(["network", "rm", network.name])
        networks.removeAll()
        let left = Shell.ip("-o", "-d", "link", "show").output.split(separator: "\n").filter { $0.contains("macvlan") && $0.contains("@\(parent)") }
        XCTAssertEqual(left, [], "docker network rm leaves no child on \(parent)")
        XCTAssertTrue(Shell.linkNames().contains(parent), "the host's parent stays")
    }
}
