import SwiftnetAddress

/// The part of a DNS message (RFC 1035 §4) a small authoritative-or-forwarding server needs:
/// the header and the first question of a query, and the responses built from them. Pure:
/// bytes in, bytes out, every read bounds-checked, so no packet can trap the server.
package struct DNSQuery: Sendable, Equatable {
    package var id: UInt16
    /// The RD bit, copied into the response.
    package var recursionDesired: Bool
    /// Lowercased, without the trailing dot (`backend`, `web.blue`).
    package var name: String
    package var type: UInt16
    package var questionClass: UInt16
    /// The question section exactly as it came (name, type, class): copied into answers.
    package var question: [UInt8]

    package static let typeA: UInt16 = 1
    package static let typeAAAA: UInt16 = 28
    package static let typeANY: UInt16 = 255
    package static let classIN: UInt16 = 1
    static let headerLength = 12
    /// RFC 1035 §2.3.4.
    static let maximumNameLength = 255

    /// Why a packet is not a query this server answers.
    package enum Refusal: Error, Equatable {
        /// Not worth an answer: too short for a header, or itself a response.
        case drop
        /// Answered with this response code (FORMERR 1, NOTIMP 4), echoing the id.
        case respond(id: UInt16, code: UInt8)
    }

    package static func parse(_ packet: [UInt8]) throws(Refusal) -> DNSQuery {
        guard packet.count >= headerLength else { throw .drop }
        let id = UInt16(packet[0]) << 8 | UInt16(packet[1])
        let flags = UInt16(packet[2]) << 8 | UInt16(packet[3])
        guard flags & 0x8000 == 0 else { throw .drop }
        let opcode = (flags >> 11) & 0xF
        guard opcode == 0 else { throw .respond(id: id, code: 4) }
        let questions = UInt16(packet[4]) << 8 | UInt16(packet[5])
        guard questions == 1 else { throw .respond(id: id, code: 1) }
        var offset = headerLength
        var labels: [String] = []
        var length = 0
        // A question's name is a plain label sequence; compression pointers in a question
        // are legal but nobody sends them, and refusing them keeps this loop trivially bounded.
        while true {
            guard offset < packet.count else { throw .respond(id: id, code: 1) }
            let size = Int(packet[offset])
            offset += 1
            if size == 0 { break }
            guard size <= 63, offset + size <= packet.count else { throw .respond(id: id, code: 1) }
            length += size + 1
            guard length <= maximumNameLength else { throw .respond(id: id, code: 1) }
            labels.append(String(decoding: packet[offset..<offset + size], as: UTF8.self).lowercased())
            offset += size
        }
        guard offset + 4 <= packet.count else { throw .respond(id: id, code: 1) }
        let type = UInt16(packet[offset]) << 8 | UInt16(packet[offset + 1])
        let questionClass = UInt16(packet[offset + 2]) << 8 | UInt16(packet[offset + 3])
        offset += 4
        return DNSQuery(id: id, recursionDesired: flags & 0x0100 != 0, name: labels.joined(separator: "."), type: type,
                        questionClass: questionClass, question: Array(packet[headerLength..<offset]))
    }

    /// An authoritative answer with `addresses` (those of the asked type; none: NODATA, the
    /// name exists but has no record of that type).
    package func answer(_ addresses: [IPAddress], ttl: UInt32) -> [UInt8] {
        let records = addresses.filter { address in
            switch type {
            case DNSQuery.typeA: return address.family == .v4
            case DNSQuery.typeAAAA: return address.family == .v6
            case DNSQuery.typeANY: return true
            default: return false
            }
        }
        var out = header(code: 0, answers: records.count, authoritative: true)
        out += question
        for address in records {
            out += [0xC0, 0x0C]  // the name: a pointer to the question's, at offset 12
            out += Self.bigEndian(address.family == .v4 ? DNSQuery.typeA : DNSQuery.typeAAAA)
            out += Self.bigEndian(DNSQuery.classIN)
            out += Self.bigEndian(UInt16(ttl >> 16)) + Self.bigEndian(UInt16(ttl & 0xFFFF))
            out += Self.bigEndian(UInt16(address.bytes.count))
            out += address.bytes
        }
        return out
    }

    /// A response with no records: SERVFAIL (2) when no upstream answered, NXDOMAIN (3).
    package func failure(code: UInt8) -> [UInt8] {
        header(code: code, answers: 0, authoritative: false) + question
    }

    /// A response to a packet that was not a query one can answer (FORMERR, NOTIMP).
    package static func refusal(id: UInt16, code: UInt8) -> [UInt8] {
        bigEndian(id) + [0x80, 0x80 | code] + [UInt8](repeating: 0, count: 8)
    }

    private func header(code: UInt8, answers: Int, authoritative: Bool) -> [UInt8] {
        // QR, AA when answering from the table, RD copied, RA (this server recurses by forwarding).
        let high: UInt8 = 0x80 | (authoritative ? 0x04 : 0) | (recursionDesired ? 0x01 : 0)
        return Self.bigEndian(id) + [high, 0x80 | code] + Self.bigEndian(1) + Self.bigEndian(UInt16(answers)) + [0, 0, 0, 0]
    }

    static func bigEndian(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}
