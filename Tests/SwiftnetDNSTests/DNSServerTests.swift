import Foundation
import Glibc
import Logging
import SwiftnetAddress
import XCTest
@testable import SwiftnetDNS

/// Real servers on loopback UDP ports: one answers its names and forwards the rest to a second
/// one (the "host's resolver"), which knows other names.
final class DNSServerTests: XCTestCase {
    var servers: [DNSServer] = []
    var sockets: [Int32] = []

    override func tearDown() {
        for server in servers { server.stop() }
        for fd in sockets { close(fd) }
        servers = []
        sockets = []
    }

    func server(names: [String: [String]], upstreams: [SocketAddress]) throws -> DNSServer {
        let table = DNSNameTable()
        table.replaceAll(names.mapValues { $0.compactMap { IPAddress($0) } })
        let server = try DNSServer(listen: SocketAddress(IPAddress("127.0.0.1")!, port: 0), names: table, upstreams: upstreams,
                                   logger: Logger(label: "dns-test"))
        server.start()
        servers.append(server)
        return server
    }

    /// A bound UDP port that never answers (a resolver that is down but not refusing).
    func silentPort() throws -> SocketAddress {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        sockets.append(fd)
        let address = SocketAddress(IPAddress("127.0.0.1")!, port: 0)
        _ = address.withSockaddr { bind(fd, $0, $1) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return try XCTUnwrap(SocketAddress(storage: storage))
    }

    /// Sends `packet` to `server` and returns the reply, or nil after `timeout` seconds.
    func ask(_ server: SocketAddress, _ packet: [UInt8], timeout: Double = 3) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        _ = server.withSockaddr { connect(fd, $0, $1) }
        _ = send(fd, packet, packet.count, 0)
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0)]
        guard poll(&fds, 1, Int32(timeout * 1000)) == 1 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let received = recv(fd, &buffer, buffer.count, 0)
        return received > 0 ? Array(buffer[0..<received]) : nil
    }

    func testAnswersItsNamesAndForwardsTheRest() throws {
        let resolver = try server(names: ["example.org": ["192.0.2.10"]], upstreams: [])
        let dns = try server(names: ["backend": ["10.70.1.2", "fd70::2"], "backend.blue": ["10.70.1.2"]], upstreams: [resolver.address])
        let local = try XCTUnwrap(ask(dns.address, DNSTestQuery.bytes(id: 11, name: "BACKEND", type: DNSQuery.typeA)))
        XCTAssertEqual(DNSTestQuery.parseAnswer(local).id, 11)
        XCTAssertEqual(DNSTestQuery.parseAnswer(local).addresses, ["10.70.1.2"])
        let local6 = try XCTUnwrap(ask(dns.address, DNSTestQuery.bytes(id: 12, name: "backend", type: DNSQuery.typeAAAA)))
        XCTAssertEqual(DNSTestQuery.parseAnswer(local6).addresses, ["fd70::2"])
        let forwarded = try XCTUnwrap(ask(dns.address, DNSTestQuery.bytes(id: 13, name: "example.org", type: DNSQuery.typeA)))
        XCTAssertEqual(DNSTestQuery.parseAnswer(forwarded).id, 13)
        XCTAssertEqual(DNSTestQuery.parseAnswer(forwarded).addresses, ["192.0.2.10"], "the resolver's answer, relayed")
        XCTAssertEqual(dns.counts.answered, 2)
        XCTAssertEqual(dns.counts.forwarded, 1)
        // Names learnt later are answered at once.
        dns.names.set("frontend", [IPAddress("10.70.2.3")!])
        XCTAssertEqual(DNSTestQuery.parseAnswer(try XCTUnwrap(ask(dns.address, DNSTestQuery.bytes(id: 14, name: "frontend", type: 1)))).addresses,
                       ["10.70.2.3"])
        dns.names.set("frontend", [])
        let gone = try XCTUnwrap(ask(dns.address, DNSTestQuery.bytes(id: 15, name: "frontend", type: 1)))
        XCTAssertEqual(DNSTestQuery.parseAnswer(gone).code, 2, "forwarded; the resolver has no upstream: SERVFAIL")
    }

    func testADeadResolverIsSkippedForTheNextAndNoResolverGivesSERVFAIL() throws {
        let silent = try silentPort()
        let resolver = try server(names: ["example.org": ["192.0.2.10"]], upstreams: [])
        let dns = try server(names: [:], upstreams: [silent, resolver.address])
        let started = Date()
        let answer = try XCTUnwrap(ask(dns.address, DNSTestQuery.bytes(id: 21, name: "example.org", type: 1), timeout: 6))
        XCTAssertEqual(DNSTestQuery.parseAnswer(answer).addresses, ["192.0.2.10"])
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), DNSServer.upstreamTimeout * 0.9, "the silent one was waited for")
        let alone = try server(names: [:], upstreams: [try silentPort()])
        let failed = try XCTUnwrap(ask(alone.address, DNSTestQuery.bytes(id: 22, name: "example.org", type: 1), timeout: 6))
        XCTAssertEqual(DNSTestQuery.parseAnswer(failed).code, 2)
        XCTAssertEqual(DNSTestQuery.parseAnswer(failed).id, 22)
    }

    func testHostilePacketsAndAFloodOfForwardsLeaveItAnswering() throws {
        let dns = try server(names: ["backend": ["10.70.1.2"]], upstreams: [try silentPort()])
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        _ = dns.address.withSockaddr { connect(fd, $0, $1) }
        var generator = SystemRandomNumberGenerator()
        for round in 0..<3_000 {
            var packet: [UInt8]
            switch round % 3 {
            case 0: packet = (0..<Int.random(in: 0...600, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            case 1: packet = DNSTestQuery.bytes(id: UInt16(round), name: "elsewhere\(round).org", type: 1)  // forwarded, never answered
            default:
                packet = DNSTestQuery.bytes(id: UInt16(round), name: "backend", type: 1)
                packet[Int.random(in: 12..<packet.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = send(fd, packet, packet.count, 0)
        }
        let answer = try XCTUnwrap(ask(dns.address, DNSTestQuery.bytes(id: 31, name: "backend", type: 1)))
        XCTAssertEqual(DNSTestQuery.parseAnswer(answer).addresses, ["10.70.1.2"])
        XCTAssertGreaterThan(dns.counts.failed, 0, "forwards past \(DNSServer.maximumPending) pending are answered SERVFAIL at once")
    }
}
