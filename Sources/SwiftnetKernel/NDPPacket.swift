/// IPv6 neighbour discovery as duplicate address detection uses it (RFC 4861, RFC 4862 §5.4):
/// whole IPv6 packets, since the probe goes out on a packet socket, not through the IPv6 stack
/// (which would need an address on the parent and would pick the source itself).
enum NDPPacket {
    static let ethertype: UInt16 = 0x86DD
    static let icmpv6: UInt8 = 58
    static let solicitationType: UInt8 = 135
    static let advertisementType: UInt8 = 136
    /// 33:33 followed by the low 32 bits of ff02::1.
    static let allNodesMAC: [UInt8] = [0x33, 0x33, 0, 0, 0, 1]

    /// ff02::1:ffXX:XXXX, the group every holder of `target` listens on.
    static func solicitedNode(for target: [UInt8]) -> [UInt8] {
        [0xff, 0x02] + [UInt8](repeating: 0, count: 9) + [1, 0xff] + Array(target[13..<16])
    }

    static func solicitedNodeMAC(for target: [UInt8]) -> [UInt8] {
        [0x33, 0x33] + Array(solicitedNode(for: target)[12..<16])
    }

    /// A DAD neighbour solicitation for `target`: from ::, to its solicited-node group, hop
    /// limit 255 (receivers drop anything else), and no source link-layer option (forbidden
    /// with an unspecified source).
    static func solicitation(for target: [UInt8]) -> [UInt8] {
        let source = [UInt8](repeating: 0, count: 16), destination = solicitedNode(for: target)
        var message: [UInt8] = [solicitationType, 0, 0, 0, 0, 0, 0, 0] + target
        let sum = checksum(source: source, destination: destination, message: message)
        message[2] = UInt8(sum >> 8)
        message[3] = UInt8(sum & 0xff)
        let length = UInt16(message.count)
        return [0x60, 0, 0, 0, UInt8(length >> 8), UInt8(length & 0xff), icmpv6, 255] + source + destination + message
    }

    /// The ICMPv6 checksum: the one's complement sum over the pseudo-header and the message.
    static func checksum(source: [UInt8], destination: [UInt8], message: [UInt8]) -> UInt16 {
        let length = UInt32(message.count)
        let pseudo = source + destination
            + [UInt8(length >> 24), UInt8((length >> 16) & 0xff), UInt8((length >> 8) & 0xff), UInt8(length & 0xff)]
            + [0, 0, 0, icmpv6]
        var bytes = pseudo + message
        if bytes.count % 2 == 1 { bytes.append(0) }
        var sum: UInt32 = 0
        for i in stride(from: 0, to: bytes.count, by: 2) { sum += UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1]) }
        while sum >> 16 != 0 { sum = (sum & 0xffff) + (sum >> 16) }
        return ~UInt16(sum)
    }

    /// Who has `target`, from an IPv6 packet: a neighbour advertisement for it (its target
    /// link-layer option, else the frame's sender), or another host's DAD solicitation for it.
    static func holder(of target: [UInt8], in packet: ArraySlice<UInt8>, sourceMAC: [UInt8], ownMAC: [UInt8]) -> [UInt8]? {
        let bytes = Array(packet)
        guard bytes.count >= 64, bytes[0] >> 4 == 6, bytes[6] == icmpv6, bytes[7] == 255,
              sourceMAC != ownMAC, Array(bytes[48..<64]) == target
        else { return nil }
        let source = Array(bytes[8..<24])
        switch bytes[40] {
        case advertisementType:
            // Options after the target: (type, length in 8-byte units, value); 2 is the target's MAC.
            var offset = 64
            while offset + 8 <= bytes.count {
                let type = bytes[offset], units = Int(bytes[offset + 1])
                guard units > 0 else { break }
                if type == 2 { return Array(bytes[(offset + 2)..<(offset + 8)]) }
                offset += units * 8
            }
            return sourceMAC
        case solicitationType where source.allSatisfy({ $0 == 0 }):
            return sourceMAC
        default:
            return nil
        }
    }
}
