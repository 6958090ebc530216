import Foundation
import SwiftnetAddress
import SwiftnetTestSupport
import XCTest
@testable import SwiftnetKernel

/// Runs against the host's real kernel, as root. Everything it makes is named `swt…`
/// (interfaces) or `swtest-…` (namespaces) and is removed in tearDown even when an assertion
/// fails, so a failed run leaves the host as it found it.
final class LinkManagerTests: XCTestCase {
    var manager: LinkManager!
    var links: [String] = []
    var namespaces: [String] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(getuid() == 0, "netlink link tests need root")
        manager = try LinkManager()
        links = []
        namespaces = []
    }

    override func tearDownWithError() throws {
        // Namespaces first: a veth end moved into one is gone from here, but its host end is
        // deleted with it only asynchronously, so delete host ends by name afterwards anyway.
        for namespace in namespaces { _ = try? Self.run(["ip", "netns", "delete", namespace]) }
        for name in links.reversed() { _ = try? manager?.deleteLink(name) }
    }

    // MARK: helpers

    static func hex(_ digits: Int) -> String { Shell.randomHex(digits) }

    /// A fresh `swt` name, remembered for tearDown.
    func newName() -> String {
        let name = "swt" + Self.hex(8)
        links.append(name)
        return name
    }

    func newNamespace() throws -> String {
        let name = "swtest-" + Self.hex(8)
        namespaces.append(name)
        try Self.check(["ip", "netns", "add", name])
        return name
    }

    /// Runs a command (tests only: they play Docker's part); returns status and output (both streams).
    @discardableResult
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = Shell.run("/usr/bin/env", arguments)
        return (result.status, result.output + result.error)
    }

    static func check(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(arguments)
        guard result.status == 0 else {
            XCTFail("\(arguments.joined(separator: " ")) exited \(result.status): \(result.output)", file: file, line: line)
            throw CocoaError(.executableLoad)
        }
    }

    /// A /24 under 10.213/16 that no host route touches, so pings can only reach the test's own.
    static func freeIPv4Subnet() throws -> Int {
        let routes = try RouteReader().routes(family: .v4)
        for _ in 0..<100 {
            let third = Int.random(in: 0...255)
            let candidate = IPPrefix("10.213.\(third).0/24")!
            if !routes.contains(where: { $0.prefix.overlaps(candidate) }) { return third }
        }
        throw XCTSkip("no free /24 under 10.213.0.0/16")
    }

    static func pingCommand() -> [String] {
        for folder in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] where FileManager.default.isExecutableFile(atPath: folder + "/ping") {
            return [folder + "/ping"]
        }
        return ["busybox", "ping"]
    }

    func assertThrowsKernelError(_ expression: @autoclosure () throws -> some Any, _ matches: (KernelError) -> Bool,
                                 file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            guard let error = error as? KernelError else { return XCTFail("not a KernelError: \(error)", file: file, line: line) }
            XCTAssertTrue(matches(error), "unexpected error: \(error)", file: file, line: line)
        }
    }

    // MARK: bridges

    func testBridgeCreateDuplicateAndDelete() throws {
        let bridge = newName()
        XCTAssertNil(try manager.link(named: bridge))
        try manager.createBridge(name: bridge, mtu: 1400)

        let info = try XCTUnwrap(try manager.link(named: bridge))
        XCTAssertEqual(info.name, bridge)
        XCTAssertEqual(info.kind, "bridge")
        XCTAssertEqual(info.mtu, 1400)
        XCTAssertEqual(info.mac.count, 6)
        XCTAssertEqual(info.mac[0] & 0x03, 0x02, "random MAC is unicast and locally administered")
        XCTAssertFalse(info.isUp)
        XCTAssertNil(info.masterIndex)
        XCTAssertGreaterThan(info.index, 0)
        XCTAssertTrue(try manager.links().contains(info))

        assertThrowsKernelError(try manager.createBridge(name: bridge, mtu: nil)) {
            $0 == .interfaceExists(bridge, operation: "create bridge \(bridge)")
        }
        XCTAssertThrowsError(try manager.createBridge(name: bridge, mtu: nil)) {
            XCTAssertTrue("\($0)".contains(bridge) && "\($0)".contains("already exists"), "\($0)")
        }

        XCTAssertTrue(try manager.deleteLink(bridge))
        XCTAssertNil(try manager.link(named: bridge))
        XCTAssertFalse(try manager.deleteLink(bridge))
    }

    func testBridgeWithGivenMACKeepsItWhenPortsJoin() throws {
        let bridge = newName(), host = newName(), peer = newName()
        let mac: [UInt8] = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30]
        try manager.createBridge(name: bridge, mac: mac)
        try manager.createVethPair(host: host, peer: peer, peerMAC: [0x02, 0, 0, 0, 0, 1])
        // Both host end MACs are random; with an automatic address the bridge would take the
        // lower of its own and the port's. An explicit one must not move.
        try manager.setMaster(host, bridge: bridge)
        try manager.setUp(host)
        try manager.setUp(bridge)
        XCTAssertEqual(try manager.link(named: bridge)?.mac, mac)
        assertThrowsKernelError(try manager.createBridge(name: newName(), mac: [0x01, 0, 0, 0, 0, 1])) {
            if case .invalidMAC = $0 { return true } else { return false }
        }
        assertThrowsKernelError(try manager.createBridge(name: newName(), mtu: 20)) {
            if case .invalidMTU(_, 20) = $0 { return true } else { return false }
        }
    }

    /// The kernel takes an MTU given at creation for its own choice and, when the last port
    /// leaves, sets 1500 again; a bridge of a network with `-o …mtu` keeps its MTU.
    func testABridgeKeepsItsMTUWhenItsLastPortLeaves() throws {
        let bridge = newName(), host = newName(), peer = newName()
        try manager.createBridge(name: bridge, mtu: 1400)
        try manager.createVethPair(host: host, peer: peer, mtu: 1400)
        try manager.setMaster(host, bridge: bridge)
        XCTAssertTrue(try manager.deleteLink(host))
        XCTAssertEqual(try manager.link(named: bridge)?.mtu, 1400)
    }

    // MARK: veth pairs

    func testVethPairWithMTUAndPeerMACEnslavedAndUp() throws {
        let bridge = newName(), host = newName(), peer = newName()
        let peerMAC: [UInt8] = [0x02, 0x42, 0x0a, 0xd5, 0x00, 0x02]
        try manager.createBridge(name: bridge, mtu: 1450)
        try manager.createVethPair(host: host, peer: peer, mtu: 1450, peerMAC: peerMAC)

        let hostInfo = try XCTUnwrap(try manager.link(named: host))
        let peerInfo = try XCTUnwrap(try manager.link(named: peer))
        XCTAssertEqual(hostInfo.kind, "veth")
        XCTAssertEqual(peerInfo.kind, "veth")
        XCTAssertEqual(hostInfo.mtu, 1450)
        XCTAssertEqual(peerInfo.mtu, 1450)
        XCTAssertEqual(peerInfo.mac, peerMAC)
        XCTAssertNotEqual(hostInfo.mac, peerMAC)
        XCTAssertNil(hostInfo.masterIndex)
        XCTAssertFalse(hostInfo.isUp)

        try manager.setMaster(host, bridge: bridge)
        try manager.setUp(host)
        try manager.setUp(bridge)
        let bridgeInfo = try XCTUnwrap(try manager.link(named: bridge))
        let enslaved = try XCTUnwrap(try manager.link(named: host))
        XCTAssertEqual(enslaved.masterIndex, bridgeInfo.index)
        XCTAssertTrue(enslaved.isUp)
        XCTAssertTrue(bridgeInfo.isUp)
        XCTAssertFalse(try XCTUnwrap(try manager.link(named: peer)).isUp, "only the host end was brought up")

        try manager.setMTU(host, 1400)
        XCTAssertEqual(try manager.link(named: host)?.mtu, 1400)

        // Either end taken: the error names the one that is.
        let fresh = newName()
        assertThrowsKernelError(try manager.createVethPair(host: host, peer: fresh, mtu: nil, peerMAC: nil)) {
            if case .interfaceExists(host, _) = $0 { return true } else { return false }
        }
        assertThrowsKernelError(try manager.createVethPair(host: fresh, peer: bridge, mtu: nil, peerMAC: nil)) {
            if case .interfaceExists(bridge, _) = $0 { return true } else { return false }
        }
        XCTAssertNil(try manager.link(named: fresh), "a failed create leaves nothing behind")
        assertThrowsKernelError(try manager.createVethPair(host: fresh, peer: fresh, mtu: nil, peerMAC: nil)) {
            if case .invalidInterfaceName = $0 { return true } else { return false }
        }

        // Not a bridge, or missing: clear errors, not "Operation not supported".
        assertThrowsKernelError(try manager.setMaster(host, bridge: peer)) {
            "\($0)".contains("not a bridge") && "\($0)".contains(peer)
        }
        let missing = newName()
        assertThrowsKernelError(try manager.setMaster(host, bridge: missing)) { $0 == .interfaceNotFound(missing, operation: "attach \(host) to bridge \(missing)") }
        assertThrowsKernelError(try manager.setUp(missing)) { if case .interfaceNotFound(missing, _) = $0 { return true } else { return false } }
        assertThrowsKernelError(try manager.setMTU(missing, 1500)) { if case .interfaceNotFound(missing, _) = $0 { return true } else { return false } }

        // Deleting one end takes the pair; the bridge stays.
        XCTAssertTrue(try manager.deleteLink(peer))
        XCTAssertNil(try manager.link(named: host))
        XCTAssertNil(try manager.link(named: peer))
        XCTAssertNotNil(try manager.link(named: bridge))
    }

    /// An endpoint's host veth carries the full endpoint id as its alias (IFLA_IFALIAS), set
    /// right after creation; a look-up and a dump read it back, and `ip` sees it too.
    func testVethPairOnABridgeCarriesItsAlias() throws {
        let bridge = newName(), host = newName(), peer = newName()
        try manager.createBridge(name: bridge)
        let id = Self.hex(64)
        try manager.createVethPair(host: host, peer: peer, mtu: nil, peerMAC: nil, onBridge: bridge, group: 0x5300_0042, alias: id)
        XCTAssertEqual(try manager.link(named: host)?.alias, id)
        XCTAssertNil(try manager.link(named: peer)?.alias, "the container's end carries nothing")
        XCTAssertEqual(try manager.links().first { $0.name == host }?.alias, id)
        XCTAssertEqual(try manager.link(named: host)?.group, 0x5300_0042)
        XCTAssertTrue(try Self.run(["ip", "-d", "link", "show", host]).output.contains("alias \(id)"))
        XCTAssertNil(try manager.link(named: bridge)?.alias)

        // A bad alias is refused before the kernel and leaves nothing.
        let other = newName(), otherPeer = newName()
        XCTAssertThrowsError(try manager.createVethPair(host: other, peer: otherPeer, mtu: nil, peerMAC: nil, onBridge: bridge,
                                                        alias: String(repeating: "a", count: 256)))
        XCTAssertNil(try manager.link(named: other))
    }

    // MARK: addresses

    /// Hairpin mode on a bridge port, read back from sysfs (what the kernel says, not libnl).
    func testHairpinModeOnABridgePort() throws {
        let bridge = newName(), host = newName(), peer = newName()
        try manager.createBridge(name: bridge)
        try manager.createVethPair(host: host, peer: peer, mtu: nil, peerMAC: nil, onBridge: bridge)
        func mode() throws -> String {
            try String(contentsOfFile: "/sys/class/net/\(host)/brport/hairpin_mode", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        XCTAssertEqual(try mode(), "0")
        try manager.setHairpin(host, true)
        XCTAssertEqual(try mode(), "1")
        try manager.setHairpin(host, false)
        XCTAssertEqual(try mode(), "0")
        // Not a bridge port: the kernel refuses, and the error names the interface.
        XCTAssertThrowsError(try manager.setHairpin(peer, true)) { error in
            XCTAssertTrue("\(error)".contains(peer), "\(error)")
        }
        XCTAssertThrowsError(try manager.setHairpin(newName(), true))
    }

    /// An address dump asks the kernel for one interface's addresses (strict checking, switched
    /// off again on the pooled socket): each link gets only its own, and a dump of every link
    /// on the same socket still works afterwards.
    func testAddressesOfOneLinkLeaveOutOtherLinksAndTheSocketStaysUsable() throws {
        let first = newName(), second = newName()
        let third = try Self.freeIPv4Subnet()
        let a = IPAddress("10.213.\(third).1")!, b = IPAddress("10.213.\(third).129")!
        for (bridge, address) in [(first, a), (second, b)] {
            try manager.createBridge(name: bridge)
            try manager.addAddress(address, prefixLength: 25, to: bridge)
        }
        for _ in 0..<3 {
            XCTAssertEqual(try manager.addresses(of: first).map(\.address), [a])
            XCTAssertEqual(try manager.addresses(of: second).map(\.address), [b])
            let names = try manager.links().map(\.name)
            XCTAssertTrue(names.contains(first) && names.contains(second))
            XCTAssertNotNil(try manager.link(named: first))
        }
    }

    func testAddressesIPv4AndIPv6() throws {
        let bridge = newName()
        try manager.createBridge(name: bridge)
        try manager.setUp(bridge)
        let third = try Self.freeIPv4Subnet()
        let v4 = IPAddress("10.213.\(third).1")!
        let v6 = IPAddress("fd5e:\(Self.hex(4)):\(Self.hex(4))::1")!

        try manager.addAddress(v4, prefixLength: 24, to: bridge)
        try manager.addAddress(v4, prefixLength: 24, to: bridge)  // idempotent
        try manager.addAddress(v6, prefixLength: 64, to: bridge)
        try manager.addAddress(v6, prefixLength: 64, to: bridge)

        let listed = try manager.addresses(of: bridge)
        XCTAssertEqual(listed.filter { $0.address == v4 }.map(\.prefixLength), [24])
        XCTAssertEqual(listed.filter { $0.address == v6 }.map(\.prefixLength), [64])

        // IFA_F_NODAD: usable at once, never tentative; IPv4 gets its broadcast address.
        let shown = try Self.run(["ip", "addr", "show", "dev", bridge]).output
        XCTAssertTrue(shown.contains("inet \(v4)/24 brd 10.213.\(third).255"), shown)
        let v6Line = try XCTUnwrap(shown.split(separator: "\n").first { $0.contains("inet6 \(v6)/64") }, shown)
        XCTAssertFalse(v6Line.contains("tentative"), String(v6Line))
        XCTAssertTrue(v6Line.contains("nodad"), String(v6Line))

        // IPv6 keys addresses without their length: another length is a conflict, not success.
        assertThrowsKernelError(try manager.addAddress(v6, prefixLength: 48, to: bridge)) {
            $0 == .addressConflict(bridge, address: v6.description, existingPrefixLength: 64)
        }
        assertThrowsKernelError(try manager.addAddress(v4, prefixLength: 33, to: bridge)) {
            if case .invalidPrefixLength = $0 { return true } else { return false }
        }

        XCTAssertFalse(try manager.deleteAddress(v4, prefixLength: 16, from: bridge), "wrong length matches nothing")
        XCTAssertTrue(try manager.deleteAddress(v4, prefixLength: 24, from: bridge))
        XCTAssertTrue(try manager.deleteAddress(v6, prefixLength: 64, from: bridge))
        XCTAssertFalse(try manager.deleteAddress(v4, prefixLength: 24, from: bridge))
        XCTAssertFalse(try manager.deleteAddress(v6, prefixLength: 64, from: bridge))
        let after = try manager.addresses(of: bridge)
        XCTAssertFalse(after.contains { $0.address == v4 || $0.address == v6 })

        let missing = newName()
        assertThrowsKernelError(try manager.addresses(of: missing)) { if case .interfaceNotFound(missing, _) = $0 { return true } else { return false } }
        assertThrowsKernelError(try manager.addAddress(v4, prefixLength: 24, to: missing)) { if case .interfaceNotFound(missing, _) = $0 { return true } else { return false } }
    }

    // MARK: names

    func testInvalidNamesAreRefusedBeforeTheKernel() throws {
        let bad = ["", "swt4567890123456", "swt/x", "swt x", "swt\tx", "swt\nx", ".", "..", "swt:1", "swt%d", "swt\u{0}x",
                   "swtéééééééé"]  // 3 + 16 bytes of UTF-8
        for name in bad {
            func refused(_ error: KernelError) -> Bool {
                if case .invalidInterfaceName(name, _) = error { return true } else { return false }
            }
            assertThrowsKernelError(try manager.link(named: name), refused)
            assertThrowsKernelError(try manager.createBridge(name: name, mtu: nil), refused)
            assertThrowsKernelError(try manager.createVethPair(host: "swtok", peer: name, mtu: nil, peerMAC: nil), refused)
            assertThrowsKernelError(try manager.deleteLink(name), refused)
            assertThrowsKernelError(try manager.setMaster("swtok", bridge: name), refused)
            assertThrowsKernelError(try manager.addAddress(IPAddress("10.213.0.1")!, prefixLength: 24, to: name), refused)
        }
        XCTAssertNil(try manager.link(named: "swt" + Self.hex(12)), "15 bytes is allowed")
        XCTAssertNil(try manager.link(named: "swtok"))
        XCTAssertTrue("\(KernelError.invalidInterfaceName("a\tb", reason: "contains whitespace"))".contains("a\\tb"))
    }

    // MARK: sysctl

    func testSysctlOnAnInterfaceWhoseNameHasDots() throws {
        let bridge = "swt\(Self.hex(4)).\(Self.hex(3))"
        links.append(bridge)
        try manager.createBridge(name: bridge)
        let key = ["net", "ipv6", "conf", bridge, "accept_dad"]
        try Sysctl.set(key, "0")
        XCTAssertEqual(try Sysctl.get(key), "0")
        try Sysctl.set(key, "1")
        XCTAssertEqual(try Sysctl.get(key), "1")

        XCTAssertThrowsError(try Sysctl.get(["net", "ipv4", "conf", "..", "..", "..", "kernel", "hostname"]))
        XCTAssertThrowsError(try Sysctl.get(["net/ipv4", "ip_forward"]))
        XCTAssertThrowsError(try Sysctl.get([]))
        XCTAssertThrowsError(try Sysctl.get(["net", "ipv4", "conf", newName(), "forwarding"])) {
            XCTAssertTrue("\($0)".contains("No such file"), "\($0)")
        }
        XCTAssertThrowsError(try Sysctl.set(key, "not a number")) {
            XCTAssertTrue("\($0)".contains(bridge), "\($0)")
        }
    }

    // MARK: dataplane

    /// Docker's part (moving the peer into the container's namespace, addressing it) is done
    /// with `ip`; swiftnet's part with LinkManager. Only addresses made here are pinged.
    ///
    /// The bridge lives in a namespace of its own standing in for the host: on the real host
    /// the firewall decides whether bridged frames pass (a running dockerd sets FORWARD to
    /// DROP and br_netfilter sends bridged IPv4 through it), and the test must not touch it.
    func testTwoNamespacesTalkThroughTheBridge() throws {
        let host = try newNamespace()
        let containers = [try newNamespace(), try newNamespace()]
        let third = try Self.freeIPv4Subnet()
        let bridge = "swt" + Self.hex(8)
        let ends = containers.enumerated().map { (i, namespace) in
            (host: "swt" + Self.hex(8), peer: "swt" + Self.hex(8), namespace: namespace, address: "10.213.\(third).\(i + 2)")
        }
        let gateway = IPAddress("10.213.\(third).1")!
        let ping = Self.pingCommand()
        @Sendable func reaches(_ namespace: String, _ target: String) throws -> Bool {
            // The first try may race the ports' carrier coming up.
            for _ in 0..<3 {
                if try Self.run(["ip", "netns", "exec", namespace] + ping + ["-c1", "-W1", target]).status == 0 { return true }
            }
            return false
        }
        let inHost = ["ip", "netns", "exec", host]

        let leftInside = try Self.onThread(inNamespace: host) { () throws -> [String] in
            let manager = try LinkManager()
            try manager.createBridge(name: bridge)
            try manager.addAddress(gateway, prefixLength: 24, to: bridge)
            try manager.setUp(bridge)
            for (n, end) in ends.enumerated() {
                try manager.createVethPair(host: end.host, peer: end.peer, mtu: 1500,
                                           peerMAC: [0x02, 0x42, 10, 213, UInt8(third), UInt8(n + 2)])
                try manager.setMaster(end.host, bridge: bridge)
                try manager.setUp(end.host)
                try Self.check(inHost + ["ip", "link", "set", end.peer, "netns", end.namespace])
                try Self.check(["ip", "netns", "exec", end.namespace, "ip", "addr", "add", end.address + "/24", "dev", end.peer])
                try Self.check(["ip", "netns", "exec", end.namespace, "ip", "link", "set", end.peer, "up"])
                try Self.check(["ip", "netns", "exec", end.namespace, "ip", "link", "set", "lo", "up"])
                XCTAssertNil(try manager.link(named: end.peer), "the peer left the bridge's namespace")
            }

            XCTAssertTrue(try reaches(ends[0].namespace, ends[1].address), "container to container")
            XCTAssertTrue(try reaches(ends[1].namespace, ends[0].address), "container to container, back")
            XCTAssertTrue(try reaches(ends[0].namespace, gateway.description), "container to gateway")
            XCTAssertTrue(try reaches(ends[1].namespace, gateway.description), "container to gateway")

            // Tear down as the driver would.
            for end in ends { XCTAssertTrue(try manager.deleteLink(end.host), "deleting the host end takes the peer") }
            XCTAssertTrue(try manager.deleteLink(bridge))
            return try manager.links().map(\.name)
        }
        XCTAssertEqual(leftInside, ["lo"])
        for end in ends {
            let shown = try Self.run(["ip", "netns", "exec", end.namespace, "ip", "link", "show", end.peer])
            XCTAssertNotEqual(shown.status, 0, "peer still in its container: \(shown.output)")
        }
        for namespace in namespaces { try Self.check(["ip", "netns", "delete", namespace]) }
        let namespacesLeft = try Self.run(["ip", "netns", "list"]).output
        for namespace in namespaces { XCTAssertFalse(namespacesLeft.contains(namespace), namespacesLeft) }
        let hostLinks = Set(try manager.links().map(\.name))
        XCTAssertTrue(hostLinks.isDisjoint(with: [bridge] + ends.flatMap { [$0.host, $0.peer] }), "\(hostLinks)")
    }

    /// Runs `body` on a thread of its own that first enters namespace `name`, so sockets it
    /// opens (LinkManager's) are bound there. The thread ends with `body`: nothing else ever
    /// runs in that namespace by mistake, and the test's own thread never leaves the host's.
    /// glibc declares setns only under _GNU_SOURCE, which Swift's Glibc module leaves out.
    static let setns = unsafeBitCast(dlsym(dlopen(nil, RTLD_NOW), "setns"),
                                     to: (@convention(c) (Int32, Int32) -> Int32).self)
    static let cloneNewNet: Int32 = 0x4000_0000

    static func onThread<T: Sendable>(inNamespace name: String, _ body: @escaping @Sendable () throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<T, any Error> = .failure(CocoaError(.featureUnsupported))
        let thread = Thread {
            defer { done.signal() }
            let fd = open("/var/run/netns/" + name, O_RDONLY | O_CLOEXEC)
            guard fd >= 0, setns(fd, cloneNewNet) == 0 else {
                outcome = .failure(POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO))
                if fd >= 0 { close(fd) }
                return
            }
            close(fd)
            outcome = Result { try body() }
        }
        thread.start()
        done.wait()
        return try outcome.get()
    }

    // MARK: concurrency

    /// Sockets come from a free list: many threads at once must neither share one (libnl
    /// would mix up answers or crash) nor lose track of which answer is whose.
    func testConcurrentCallsFromManyThreads() throws {
        let names = (0..<8).map { _ in newName() }
        let manager = try XCTUnwrap(self.manager)
        DispatchQueue.concurrentPerform(iterations: names.count) { i in
            do {
                try manager.createBridge(name: names[i], mtu: 1300 + i)
                for _ in 0..<20 {
                    guard let info = try manager.link(named: names[i]) else { return XCTFail("lost \(names[i])") }
                    XCTAssertEqual(info.mtu, 1300 + i)
                }
                XCTAssertTrue(try manager.deleteLink(names[i]))
            } catch {
                XCTFail("\(error)")
            }
        }
    }
}
