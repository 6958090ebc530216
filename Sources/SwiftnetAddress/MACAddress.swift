/// A 48-bit Ethernet address.
package struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    package let bytes: [UInt8]

    package init?(bytes: [UInt8]) {
        guard bytes.count == 6 else { return nil }
        self.bytes = bytes
    }

    /// `aa:bb:cc:dd:ee:ff` (also `-` separated), as `net.ParseMAC` reads 48-bit addresses.
    package init?(_ text: String) {
        let parts = text.split(separator: text.contains("-") ? "-" : ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            // Two hex digits: UInt8(_:radix:) alone would also take "+2".
            guard part.utf8.count == 2, part.utf8.allSatisfy(\.isHexDigit), let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    /// dockerd sends `com.docker.network.endpoint.macaddress` as base64 of the 6 raw bytes:
    /// Go's `net.HardwareAddr` is a byte slice with no text marshaller (shared/docs/protocol.md §2.6).
    package init?(base64 text: String) {
        guard let decoded = Base64.decode(text), decoded.count == 6 else { return nil }
        bytes = decoded
    }

    /// A locally administered unicast address derived from an endpoint's address, the way
    /// Docker's bridge derives `02:42:` + IPv4: stable for an address, so a container that gets
    /// its address back (sticky names) gets its MAC back too.
    package init(derivedFrom address: IPAddress) {
        let low = address.bytes.suffix(4)
        bytes = [0x02, 0x42] + low
    }

    /// The `attempt`th MAC for `address`: attempt 0 is `init(derivedFrom:)`; later ones mix
    /// the whole address (FNV-1a over its bytes and the attempt number) into the last four
    /// bytes. IPv6 addresses that share their low 32 bits (`fd00:9::2`, `fd00:9::1:0:0:2`)
    /// would share the first MAC; the caller takes the first attempt no other endpoint of the
    /// network has, so the same address still gets the same MAC whenever it can.
    package static func derived(from address: IPAddress, attempt: Int) -> MACAddress {
        guard attempt > 0 else { return MACAddress(derivedFrom: address) }
        var hash: UInt32 = 2_166_136_261
        for byte in address.bytes + withUnsafeBytes(of: UInt32(truncatingIfNeeded: attempt).bigEndian, Array.init) {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return MACAddress(bytes: [0x02, 0x42] + withUnsafeBytes(of: hash.bigEndian, Array.init))!
    }

    package var isMulticast: Bool { bytes[0] & 0x01 != 0 }

    package var description: String {
        bytes.map { $0 < 16 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined(separator: ":")
    }
}

/// Standard base64 (RFC 4648 §4, with padding), as Go's encoding/json writes []byte.
enum Base64 {
    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        var padding = 0
        for scalar in text.unicodeScalars {
            let value: UInt8
            switch scalar {
            case "A"..."Z": value = UInt8(scalar.value - 65)
            case "a"..."z": value = UInt8(scalar.value - 97 + 26)
            case "0"..."9": value = UInt8(scalar.value - 48 + 52)
            case "+": value = 62
            case "/": value = 63
            case "=": padding += 1; continue
            default: return nil
            }
            guard padding == 0 else { return nil }
            values.append(value)
        }
        guard (values.count + padding) % 4 == 0, padding <= 2 else { return nil }
        var out: [UInt8] = []
        var index = 0
        while index + 1 < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            let a = chunk[chunk.startIndex], b = chunk[chunk.startIndex + 1]
            out.append(a << 2 | b >> 4)
            if chunk.count > 2 {
                let c = chunk[chunk.startIndex + 2]
                out.append((b & 0x0F) << 4 | c >> 2)
                if chunk.count > 3 { out.append((c & 0x03) << 6 | chunk[chunk.startIndex + 3]) }
            }
            index += 4
        }
        return out
    }
}

fileprivate extension UInt8 {
    var isHexDigit: Bool {
        (self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9")) || (self >= UInt8(ascii: "a") && self <= UInt8(ascii: "f"))
            || (self >= UInt8(ascii: "A") && self <= UInt8(ascii: "F"))
    }
}
