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
        makeLAN(parent: parent, namespace: lan, gateway: "\(base).1")
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

    /// `-o swiftnet.mode=ipvlan -o ipvlan_mode=l3`: containers route through the host (no
    /// gateway, a connected default route); the LAN reaches their subnet through the host's
    /// address on the parent. Skips where the kernel has no ipvlan link type (this machine's),
    /// after checking that swiftnet refuses the network there, naming the kernel support.
    func testIPvlanL3ContainerIsReachedFromTheLANAndByName() throws {
        let parent = "swlp" + tag.prefix(6)
        let lan = "swt-lan-" + tag
        let base = "\(autoPoolBase).210"
        let routed = "\(autoPoolBase).211"
        makeLAN(parent: parent, namespace: lan, gateway: "\(base).1", then: [
            ["addr", "add", "\(base).254/24", "dev", parent],
            // The LAN's router knows the container subnet is behind this host.
            ["-n", lan, "route", "add", "\(routed).0/24", "via", "\(base).254"],
        ])
        let probe = "swtipv" + tag.prefix(6)
        let made = Shell.run(Shell.ipTool, ["link", "add", probe, "link", parent, "type", "ipvlan", "mode", "l3"])
        if made.succeeded { Shell.run(Shell.ipTool, ["link", "del", probe]) }
        let arguments = ["-o", "swiftnet.mode=ipvlan", "-o", "ipvlan_mode=l3", "-o", "parent=\(parent)", "--subnet", "\(routed).0/24"]
        guard made.succeeded else {
            networks.append("swt-ipvlan-\(tag)")  // removed by tearDown should it be made after all
            let refused = Shell.run(DockerTestCase.docker, ["network", "create", "-d", "swiftnet", "--ipam-driver", "swiftnet"]
                                        + arguments + ["swt-ipvlan-\(tag)"], timeout: 60)
            XCTAssertFalse(refused.succeeded, "ipvlan without kernel support is refused: \(refused.both)")
            XCTAssertTrue(refused.error.contains("ipvlan"), refused.both)
            XCTAssertFalse(Shell.ip("-o", "-d", "link", "show").output.contains("ipvlan"), "nothing left behind")
            throw XCTSkip("this kernel has no ipvlan link type: \(made.error.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let network = try createNetwork(arguments)
        let web = try runContainer("web", network: network.name, command: httpd(content: "l3-\(tag)"))
        let client = try runContainer("client", network: network.name)
        let address = try containerIPv4(web, network: network.name)
        XCTAssertTrue(address.hasPrefix(routed + "."), address)
        let routes = exec(web, ["ip", "route"])
        XCTAssertTrue(routes.output.contains("default dev eth0"), "l3: a connected default route, no gateway: \(routes.both)")
        eventually("the LAN reaches the container through the host") {
            let page = Self.fetchFromHost("http://\(address):8080/", namespace: lan)
            return (page.output.contains("l3-\(tag)"), page.both)
        }
        eventually("another container finds it by name and fetches from it") {
            let lookup = self.exec(client, ["timeout", "10", "nslookup", web], timeout: 20)
            let found = Self.nslookupAddresses(lookup.output).first(where: Self.isIPv4) ?? ""
            let page = self.fetch(in: client, "http://\(address):8080/")
            return (found == address && page.output.contains("l3-\(tag)"), lookup.both + page.both)
        }
        try docker(["rm", "-f", web, client], timeout: 120)
        containers.removeAll()
        try docker(["network", "rm", network.name])
        networks.removeAll()
        let left = Shell.ip("-o", "-d", "link", "show").output.split(separator: "\n").filter { $0.contains("ipvlan") && $0.contains("@\(parent)") }
        XCTAssertEqual(left, [], "docker network rm leaves no child on \(parent)")
    }

    /// A "LAN": a namespace whose `lan0` (holding the LAN's gateway address, a /24) is the
    /// peer of `parent` on this host; `then` are further `ip` steps. Removed by tearDown.
    func makeLAN(parent: String, namespace lan: String, gateway: String, then more: [[String]] = []) {
        namespaces.append(lan)
        links.append(parent)
        for step in [["netns", "add", lan],
                     ["link", "add", parent, "type", "veth", "peer", "name", "lan0", "netns", lan],
                     ["-n", lan, "addr", "add", "\(gateway)/24", "dev", "lan0"],
                     ["-n", lan, "link", "set", "lan0", "up"],
                     ["-n", lan, "link", "set", "lo", "up"],
                     ["link", "set", parent, "up"]] + more {
            let result = Shell.run(Shell.ipTool, step)
            XCTAssertEqual(result.status, 0, "ip \(step.joined(separator: " ")): \(result.both)")
        }
    }
}
