import SwiftnetAddress
import XCTest
@testable import SwiftnetDNS

final class DNSMessageTests: XCTestCase {
    func testParsesAQueryAndAnswersFromAddressesOfTheAskedType() throws {
        let packet = DNSTestQuery.bytes(id: 0xBEEF, name: "Backend.Blue.", type: DNSQuery.typeA)
        let query = try DNSQuery.parse(packet)
        XCTAssertEqual(query.id, 0xBEEF)
        XCTAssertEqual(query.name, "backend.blue")
        XCTAssertEqual(query.type, DNSQuery.typeA)
        XCTAssertTrue(query.recursionDesired)
        let answer = query.answer([IPAddress("10.70.0.5")!, IPAddress("fd00::5")!], ttl: 5)
        let parsed = DNSTestQuery.parseAnswer(answer)
        XCTAssertEqual(parsed.id, 0xBEEF)
        XCTAssertEqual(parsed.code, 0)
        XCTAssertEqual(parsed.addresses, ["10.70.0.5"], "an A query gets only IPv4 addresses")
        let v6 = try DNSQuery.parse(DNSTestQuery.bytes(id: 1, name: "backend", type: DNSQuery.typeAAAA)).answer([IPAddress("10.70.0.5")!, IPAddress("fd00::5")!], ttl: 5)
        XCTAssertEqual(DNSTestQuery.parseAnswer(v6).addresses, ["fd00::5"])
        let mx = try DNSQuery.parse(DNSTestQuery.bytes(id: 2, name: "backend", type: 15)).answer([IPAddress("10.70.0.5")!], ttl: 5)
        XCTAssertEqual(DNSTestQuery.parseAnswer(mx).code, 0, "NODATA: the name exists")
        XCTAssertEqual(DNSTestQuery.parseAnswer(mx).addresses, [])
    }

    func testResponsesAndGarbageAreDroppedMalformedQueriesGetFORMERR() {
        XCTAssertThrowsError(try DNSQuery.parse([1, 2, 3])) { XCTAssertEqual($0 as? DNSQuery.Refusal, .drop) }
        var response = DNSTestQuery.bytes(id: 7, name: "a", type: 1)
        response[2] |= 0x80
        XCTAssertThrowsError(try DNSQuery.parse(response)) { XCTAssertEqual($0 as? DNSQuery.Refusal, .drop) }
        var twoQuestions = DNSTestQuery.bytes(id: 7, name: "a", type: 1)
        twoQuestions[5] = 2
        XCTAssertThrowsError(try DNSQuery.parse(twoQuestions)) { XCTAssertEqual($0 as? DNSQuery.Refusal, .respond(id: 7, code: 1)) }
        var notify = DNSTestQuery.bytes(id: 7, name: "a", type: 1)
        notify[2] |= 0x20  // opcode 4
        XCTAssertThrowsError(try DNSQuery.parse(notify)) { XCTAssertEqual($0 as? DNSQuery.Refusal, .respond(id: 7, code: 4)) }
        let truncated = Array(DNSTestQuery.bytes(id: 7, name: "abcdef", type: 1).dropLast(6))
        XCTAssertThrowsError(try DNSQuery.parse(truncated)) { XCTAssertEqual($0 as? DNSQuery.Refusal, .respond(id: 7, code: 1)) }
        let pointer: [UInt8] = [0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 0x0C, 0, 1, 0, 1]
        XCTAssertThrowsError(try DNSQuery.parse(pointer)) { XCTAssertEqual($0 as? DNSQuery.Refusal, .respond(id: 7, code: 1)) }
        let long = DNSTestQuery.bytes(id: 7, name: Array(repeating: String(repeating: "a", count: 63), count: 5).joined(separator: "."), type: 1)
        XCTAssertThrowsError(try DNSQuery.parse(long), "a name over 255 bytes") { XCTAssertEqual($0 as? DNSQuery.Refusal, .respond(id: 7, code: 1)) }
    }

    func testRandomPacketsNeverTrap() {
        var generator = SystemRandomNumberGenerator()
        let seed = DNSTestQuery.bytes(id: 9, name: "web.blue", type: 1)
        for round in 0..<20_000 {
            var packet = round % 2 == 0 ? seed : (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            for _ in 0..<Int.random(in: 0...4, using: &generator) where !packet.isEmpty {
                packet[Int.random(in: 0..<packet.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            if let query = try? DNSQuery.parse(packet) {
                XCTAssertGreaterThanOrEqual(query.answer([IPAddress("10.0.0.1")!], ttl: 1).count, 12)
            }
        }
    }

    func testResolvConfNameservers() {
        let text = "# generated\nsearch example.org\nnameserver 10.255.255.53\nnameserver\tfd00::53\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:2\n"
        XCTAssertEqual(ResolverConfiguration.nameservers(in: text), [IPAddress("10.255.255.53")!, IPAddress("fd00::53")!])
    }
}

/// Queries and answers as a stub resolver sends and reads them.
enum DNSTestQuery {
    static func bytes(id: UInt16, name: String, type: UInt16) -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in name.split(separator: ".") {
            out.append(UInt8(label.utf8.count))
            out += Array(label.utf8)
        }
        out += [0, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        return out
    }

    /// The id, response code and the A/AAAA addresses of an answer (names are assumed to be
    /// pointers, as the server writes them).
    static func parseAnswer(_ packet: [UInt8]) -> (id: UInt16, code: UInt8, addresses: [String]) {
        guard packet.count >= 12 else { return (0, 255, []) }
        let id = UInt16(packet[0]) << 8 | UInt16(packet[1])
        let answers = Int(packet[6]) << 8 | Int(packet[7])
        var offset = 12
        while offset < packet.count, packet[offset] != 0 { offset += Int(packet[offset]) + 1 }
        offset += 5
        var addresses: [String] = []
        for _ in 0..<answers {
            guard offset + 12 <= packet.count else { break }
            let length = Int(packet[offset + 10]) << 8 | Int(packet[offset + 11])
            let data = Array(packet[(offset + 12)..<min(packet.count, offset + 12 + length)])
            if let address = IPAddress(bytes: data) { addresses.append(address.description) }
            offset += 12 + length
        }
        return (id, packet[3] & 0x0F, addresses)
    }
}
