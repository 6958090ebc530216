import Foundation
import SwiftnetTestSupport
import XCTest

/// Docker's bridge networks beside swiftnet's, played in the server's namespace (see
/// LANServerTestCase) with a bridge swiftnet did not make (`dkb…`, as a Docker network named
/// with `com.docker.network.bridge.name`) and Docker's rules for it as dockerd writes them.
final class DockerBridgeCoexistenceTests: LANServerTestCase {
    /// Such a bridge matches neither `docker0` nor `br-+`: swiftnet's containers reached it,
    /// their packets accepted by swiftnet's rules before Docker's saw them. swiftnet now reads
    /// Docker's bridges from Docker's own rules and drops to and from them as from the others:
    /// as dockerd 20.10 writes them (isolation stage 2), then as dockerd 28 and later do
    /// (DOCKER-BRIDGE; it dropped the isolation chains), each made after the server started
    /// (the guard, every 5 s, reads them), as when dockerd starts after swiftnet at boot.
    func testASwiftnetContainerDoesNotReachADockerBridgeOfAnyName() throws {
        func iptables(_ arguments: String...) -> Bool {
            Shell.run("/usr/sbin/ip", ["netns", "exec", host, "/usr/sbin/iptables", "-w"] + arguments).succeeded
        }
        XCTAssertTrue(Shell.inNamespace(host, ["/usr/sbin/sysctl", "-qw", "net.ipv4.ip_forward=1"]).succeeded)
        // Docker's bridge with a name of the user's, and a container behind it.
        let bridge = "dkb" + Shell.randomHex(6)
        let docker = try newNamespace("d")
        try sh("-n", host, "link", "add", bridge, "type", "bridge")
        try sh("-n", host, "addr", "add", "10.218.\(third).1/24", "dev", bridge)
        try sh("-n", host, "link", "set", bridge, "up")
        try sh("-n", host, "link", "add", "dkv0", "type", "veth", "peer", "name", "eth0", "netns", docker)
        try sh("-n", host, "link", "set", "dkv0", "master", bridge)
        try sh("-n", host, "link", "set", "dkv0", "up")
        try sh("-n", docker, "addr", "add", "10.218.\(third).2/24", "dev", "eth0")
        try sh("-n", docker, "link", "set", "eth0", "up")
        try sh("-n", docker, "route", "add", "default", "via", "10.218.\(third).1")

        let (status, body, network) = try createNetwork(generic: [:], subnet: "10.219.\(third).0/24")
        XCTAssertEqual(status, 200, "\(body)")
        let container = try addContainer(to: network)
        XCTAssertTrue(reaches(container.namespace, "10.218.\(third).2"), "without Docker's rules nothing tells that bridge apart")

        let drop = "-A \(chainPrefix)-ISOLATION -o \(bridge) -j DROP"
        func isolationRules() -> String {
            Shell.run("/usr/sbin/ip", ["netns", "exec", host, "/usr/sbin/iptables", "-w", "-S", "\(chainPrefix)-ISOLATION"]).output
        }
        func waitForGuard(_ present: Bool) {
            for _ in 0..<30 where isolationRules().contains(drop) != present { usleep(500_000) }
            XCTAssertEqual(isolationRules().contains(drop), present, isolationRules() + "\n" + server.log.suffix(2000))
        }
        for layout in ["dockerd 20.10", "dockerd 28"] {
            if layout == "dockerd 20.10" {
                XCTAssertTrue(iptables("-N", "DOCKER-ISOLATION-STAGE-2"))
                XCTAssertTrue(iptables("-A", "DOCKER-ISOLATION-STAGE-2", "-o", bridge, "-j", "DROP"))
                XCTAssertTrue(iptables("-A", "DOCKER-ISOLATION-STAGE-2", "-j", "RETURN"))
            } else {
                XCTAssertTrue(iptables("-N", "DOCKER"))
                XCTAssertTrue(iptables("-N", "DOCKER-BRIDGE"))
                XCTAssertTrue(iptables("-A", "DOCKER", "!", "-i", bridge, "-o", bridge, "-j", "DROP"))
                XCTAssertTrue(iptables("-A", "DOCKER-BRIDGE", "-o", bridge, "-j", "DOCKER"))
            }
            waitForGuard(true)
            // Named in IPv4's rules only (dockerd 20.10 writes no IPv6 rules by default): IPv6 too.
            let ipv6 = Shell.run("/usr/sbin/ip", ["netns", "exec", host, "/usr/sbin/ip6tables", "-w", "-S", "\(chainPrefix)-ISOLATION"]).output
            XCTAssertTrue(ipv6.contains("-o \(bridge) -j DROP"), "\(layout): \(ipv6)")
            XCTAssertFalse(ping(container.namespace, "10.218.\(third).2"), "\(layout): dropped as Docker's")
            XCTAssertFalse(ping(docker, container.address), "\(layout): the other way too")
            XCTAssertTrue(reaches(container.namespace, network.gateway), "\(layout): the container's own way out still works")
            // dockerd deletes its chains at its start (28 and later: the isolation ones for
            // good): nothing of swiftnet's refers to them.
            for chain in layout == "dockerd 20.10" ? ["DOCKER-ISOLATION-STAGE-2"] : ["DOCKER-BRIDGE", "DOCKER"] {
                XCTAssertTrue(iptables("-F", chain) && iptables("-X", chain), "\(layout): dockerd could not delete \(chain)")
            }
            waitForGuard(false)
        }
        try removeContainer(container, from: network)
        try deleteNetwork(network)
    }

    /// dockerd refuses a subnet one of its networks has, but not one of swiftnet's, and
    /// swiftnet took a Docker network's subnet: two bridges routing it, two containers on one
    /// address (`docker network create` gives 172.18.0.0/16, then `-d swiftnet --subnet
    /// 172.18.0.0/16`). A subnet overlapping an address of a bridge swiftnet did not make is
    /// now refused, naming it; other subnets are not.
    func testASubnetOfABridgeSwiftnetDidNotMakeIsRefused() throws {
        let bridge = "dkb" + Shell.randomHex(6)
        try sh("-n", host, "link", "add", bridge, "type", "bridge")
        try sh("-n", host, "addr", "add", "10.218.\(third).1/24", "dev", bridge)
        try sh("-n", host, "link", "set", bridge, "up")
        for subnet in ["10.218.\(third).0/24", "10.218.\(third).128/25", "10.218.0.0/16"] where subnet != "10.218.0.0/16" || third != 0 {
            let (status, body, _) = try createNetwork(generic: [:], subnet: subnet)
            XCTAssertEqual(status, 500, subnet)
            XCTAssertTrue("\(body["Err"] ?? "")".contains("overlaps 10.218.\(third).1/24 of bridge \(bridge), which is not this swiftnet server's"),
                          "\(subnet): \(body)")
        }
        XCTAssertEqual(try recordedNetworks(), [])
        let (status, body, network) = try createNetwork(generic: [:], subnet: "10.219.\(third).0/24")
        XCTAssertEqual(status, 200, "\(body)")
        // The server's own bridges are not foreign to its next network.
        let (second, secondBody, _) = try createNetwork(generic: [:], subnet: "10.220.\(third).0/24")
        XCTAssertEqual(second, 200, "\(secondBody)")
        try deleteNetwork(network)
    }
}
