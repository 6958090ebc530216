import Foundation
import SwiftnetTestSupport
import XCTest

/// Docker's bridge networks beside swiftnet's, played in the server's namespace (see
/// LANServerTestCase) with a bridge swiftnet did not make (`dkb…`, as a Docker network named
/// with `com.docker.network.bridge.name`) and Docker's isolation chain as dockerd makes it.
final class DockerBridgeCoexistenceTests: LANServerTestCase {
    /// Such a bridge matches neither `docker0` nor `br-+`: swiftnet's containers reached it,
    /// their packets accepted by swiftnet's rules before Docker's isolation saw them. swiftnet
    /// now jumps to Docker's own `DOCKER-ISOLATION-STAGE-2` (which drops packets to each Docker
    /// bridge) once it exists: here made after the server started, as when dockerd starts
    /// after swiftnet at boot.
    func testASwiftnetContainerDoesNotReachADockerBridgeOfAnyName() throws {
        let iptables = ["/usr/sbin/ip", "netns", "exec", host, "/usr/sbin/iptables", "-w"]
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
        XCTAssertTrue(reaches(container.namespace, "10.218.\(third).2"), "without Docker's chain nothing tells that bridge apart")

        XCTAssertTrue(Shell.run(iptables[0], Array(iptables.dropFirst()) + ["-N", "DOCKER-ISOLATION-STAGE-2"]).succeeded)
        XCTAssertTrue(Shell.run(iptables[0], Array(iptables.dropFirst()) + ["-A", "DOCKER-ISOLATION-STAGE-2", "-o", bridge, "-j", "DROP"]).succeeded)
        XCTAssertTrue(Shell.run(iptables[0], Array(iptables.dropFirst()) + ["-A", "DOCKER-ISOLATION-STAGE-2", "-j", "RETURN"]).succeeded)
        // The guard (every 5 s) sees the chain and renders the jump to it.
        let jump = "-A \(chainPrefix)-ISOLATION -j DOCKER-ISOLATION-STAGE-2"
        var rules = ""
        for _ in 0..<30 {
            rules = Shell.run(iptables[0], Array(iptables.dropFirst()) + ["-S", "\(chainPrefix)-ISOLATION"]).output
            if rules.contains(jump) { break }
            usleep(500_000)
        }
        XCTAssertTrue(rules.contains(jump), rules + "\n" + server.log.suffix(2000))
        XCTAssertFalse(ping(container.namespace, "10.218.\(third).2"), "dropped by Docker's isolation chain")
        XCTAssertTrue(reaches(container.namespace, network.gateway), "the container's own way out still works")

        // dockerd, starting again, cannot delete its chain (it ignores that) and refills it;
        // the network is deleted with the jump and its chain.
        XCTAssertFalse(Shell.run(iptables[0], Array(iptables.dropFirst()) + ["-X", "DOCKER-ISOLATION-STAGE-2"]).succeeded)
        try removeContainer(container, from: network)
        try deleteNetwork(network)
        XCTAssertTrue(Shell.run(iptables[0], Array(iptables.dropFirst()) + ["-F", "DOCKER-ISOLATION-STAGE-2"]).succeeded)
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
            XCTAssertTrue("\(body["Err"] ?? "")".contains("overlaps 10.218.\(third).1/24 of bridge \(bridge), which swiftnet did not make"),
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
