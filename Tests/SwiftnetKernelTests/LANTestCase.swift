import Foundation
import XCTest
import SwiftnetAddress
@testable import SwiftnetKernel

/// A throw-away LAN for macvlan/ipvlan/vlan tests, all in namespaces this test makes (so the
/// host's own links, routes and firewall play no part):
///
/// - "host": stands in for the Docker host; its `eth0` is the parent (one end of a veth pair);
///   swiftnet's part (LinkManager, ARPProbe) runs on a thread inside it.
/// - "LAN": the other end, `lan0`, on a bridge `br0` (the LAN switch) holding the gateway
///   address .1/24 of `subnet`; hairpin on `lan0` makes the switch reflect frames (for VEPA).
/// - containers: namespaces joined as dockerd joins them (move the child in, rename it eth0,
///   address, up, default route).
///
/// Deleting the namespaces in tearDown deletes every link in them, even after a failure.
class LANTestCase: XCTestCase {
    var namespaces: [String] = []
    var host = "", lan = ""
    /// 10.213.third.0/24
    var third = 0
    let parent = "eth0"

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "namespace tests need root")
        namespaces = []
        third = Int.random(in: 0...250)
    }

    override func tearDownWithError() throws {
        for namespace in namespaces { _ = try? LinkManagerTests.run(["ip", "netns", "delete", namespace]) }
    }

    func address(_ host: Int, subnet: Int? = nil) -> String { "10.213.\(subnet ?? third).\(host)" }
    var gateway: String { address(1) }

    func newNamespace(_ role: String) throws -> String {
        let name = "swtest-\(role)-" + LinkManagerTests.hex(6)
        namespaces.append(name)
        try sh(["ip", "netns", "add", name])
        try sh(["ip", "-n", name, "link", "set", "lo", "up"])
        return name
    }

    @discardableResult
    func sh(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let result = try LinkManagerTests.run(arguments)
        guard result.status == 0 else {
            XCTFail("\(arguments.joined(separator: " ")) exited \(result.status): \(result.output)", file: file, line: line)
            throw CocoaError(.executableLoad)
        }
        return result.output
    }

    /// The host and LAN namespaces, the parent up with no address.
    func makeLAN(hairpin: Bool = false) throws {
        host = try newNamespace("host")
        lan = try newNamespace("lan")
        try sh(["ip", "-n", host, "link", "add", parent, "type", "veth", "peer", "name", "lan0", "netns", lan])
        try sh(["ip", "-n", lan, "link", "add", "br0", "type", "bridge"])
        try sh(["ip", "-n", lan, "link", "set", "lan0", "master", "br0"])
        try setHairpin(hairpin)
        try sh(["ip", "-n", lan, "addr", "add", gateway + "/24", "dev", "br0"])
        for link in ["lan0", "br0"] { try sh(["ip", "-n", lan, "link", "set", link, "up"]) }
        try sh(["ip", "-n", host, "link", "set", parent, "up"])
    }

    func setHairpin(_ on: Bool) throws {
        try sh(["ip", "-n", lan, "link", "set", "lan0", "type", "bridge_slave", "hairpin", on ? "on" : "off"])
    }

    /// Runs swiftnet's part inside the host namespace.
    func inHost<T: Sendable>(_ body: @escaping @Sendable (LinkManager) throws -> T) throws -> T {
        try LinkManagerTests.onThread(inNamespace: host) { try body(try LinkManager()) }
    }

    enum DefaultRoute { case via(String), connected, none }

    /// Joins `child` (a link in the host namespace) to a new container namespace as dockerd does.
    func join(_ child: String, address: String, prefixLength: Int = 24, route: DefaultRoute) throws -> String {
        let container = try newNamespace("c")
        try sh(["ip", "-n", host, "link", "set", child, "netns", container])
        try sh(["ip", "-n", container, "link", "set", child, "name", "eth0"])
        try sh(["ip", "-n", container, "addr", "add", "\(address)/\(prefixLength)", "dev", "eth0"])
        try sh(["ip", "-n", container, "link", "set", "eth0", "up"])
        switch route {
        case .via(let gateway): try sh(["ip", "-n", container, "route", "add", "default", "via", gateway])
        case .connected: try sh(["ip", "-n", container, "route", "add", "default", "dev", "eth0"])
        case .none: break
        }
        return container
    }

    /// A few tries: the first may race carrier and neighbour discovery.
    func reaches(_ namespace: String, _ target: String) throws -> Bool {
        for _ in 0..<3 where try ping(namespace, target) { return true }
        return false
    }

    /// For "must not reach": two echo requests, one second for an answer.
    func ping(_ namespace: String, _ target: String) throws -> Bool {
        try LinkManagerTests.run(["ip", "netns", "exec", namespace] + LinkManagerTests.pingCommand()
                                 + ["-c2", "-i0.2", "-W1", target]).status == 0
    }

    func links(in namespace: String) throws -> [String] {
        try sh(["ip", "-n", namespace, "-o", "link", "show"]).split(separator: "\n").compactMap { line in
            line.split(separator: ":").dropFirst().first.map { String($0.trimmingCharacters(in: .whitespaces).split(separator: "@")[0]) }
        }
    }

    func mac(of link: String, in namespace: String) throws -> [UInt8] {
        let text = try sh(["ip", "netns", "exec", namespace, "cat", "/sys/class/net/\(link)/address"])
        return text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").compactMap { UInt8($0, radix: 16) }
    }

    /// Skips the test, with the kernel's reason, when the kernel cannot make `type` links.
    func requireKernelSupport(_ type: KernelLinkType) throws {
        if let missing = try LinkTypeSupport.missing(type) { throw XCTSkip("\(missing)") }
    }
}
