/// ARP over Ethernet for IPv4, as an address probe sends and reads it.
enum ARPPacket {
    static let ethertype: UInt16 = 0x0806
    /// hardware type Ethernet, protocol IPv4, address lengths 6 and 4.
    static let header: [UInt8] = [0, 1, 0x08, 0x00, 6, 4]

    /// An ARP probe: request, sender protocol address 0.0.0.0, target hardware address zero.
    static func probe(senderMAC: [UInt8], target: [UInt8]) -> [UInt8] {
        header + [0, 1] + senderMAC + [0, 0, 0, 0] + [0, 0, 0, 0, 0, 0] + target
    }

    /// The sender of an ARP packet that shows `target` taken: a reply or request from it, or
    /// another host's probe for it (RFC 5227 §2.1.1); nil for anything else.
    static func holder(of target: [UInt8], in packet: ArraySlice<UInt8>, ownMAC: [UInt8]) -> [UInt8]? {
        let bytes = Array(packet)
        guard bytes.count >= 28, Array(bytes[0..<6]) == header else { return nil }
        let operation = UInt16(bytes[6]) << 8 | UInt16(bytes[7])
        let senderMAC = Array(bytes[8..<14]), senderIP = Array(bytes[14..<18]), targetIP = Array(bytes[24..<28])
        guard operation == 1 || operation == 2, senderMAC != ownMAC else { return nil }
        if senderIP == target { return senderMAC }
        if operation == 1, senderIP == [0, 0, 0, 0], targetIP == target { return senderMAC }
        return nil
    }
}
