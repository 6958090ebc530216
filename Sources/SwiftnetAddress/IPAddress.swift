/// An IPv4 or IPv6 address held as an unsigned integer, so that pools can do arithmetic
/// on ordinals instead of byte arrays.
package struct IPAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let family: IPFamily
    /// The address as a number; for IPv4 only the low 32 bits are used.
    package let value: UInt128

    package init(family: IPFamily, value: UInt128) {
        self.family = family
        self.value = family == .v4 ? value & 0xFFFF_FFFF : value
    }

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (with `::` and an embedded IPv4 tail).
    /// Zones (`%eth0`) and prefixes are refused: callers split those off first.
    package init?(_ text: some StringProtocol) {
        let utf8 = Array(text.utf8)
        if utf8.contains(UInt8(ascii: ":")) {
            guard let value = IPAddress.parseV6(utf8[...]) else { return nil }
            self.init(family: .v6, value: value)
        } else {
            guard let value = IPAddress.parseV4(utf8[...]) else { return nil }
            self.init(family: .v4, value: UInt128(value))
        }
    }

    /// Parses address text given as UTF-8 bytes (no String needed: start-up reads 100,000).
    package init?(utf8 bytes: UnsafeRawBufferPointer) {
        if bytes.contains(UInt8(ascii: ":")) {
            guard let value = IPAddress.parseV6(ArraySlice(bytes)) else { return nil }
            self.init(family: .v6, value: value)
        } else {
            // IPv4 is parsed from the bytes in place (start-up parses every address held).
            guard let value = IPAddress.parseV4(bytes) else { return nil }
            self.init(family: .v4, value: UInt128(value))
        }
    }

    package static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        if lhs.family != rhs.family { return lhs.family == .v4 }
        return lhs.value < rhs.value
    }

    /// In fe80::/10: the kernel gives every IPv6 interface one; nobody allocates them.
    package var isIPv6LinkLocal: Bool {
        family == .v6 && (value >> 118) == 0x3FA
    }

    package var description: String {
        family == .v4 ? IPAddress.formatV4(UInt32(truncatingIfNeeded: value)) : IPAddress.formatV6(value)
    }

    /// As it stands before `:port`: IPv6 in brackets (`[fd00::2]:80`).
    package var hostText: String {
        family == .v6 ? "[\(description)]" : description
    }

    /// The 4 or 16 bytes in network order.
    package var bytes: [UInt8] {
        let count = family == .v4 ? 4 : 16
        return (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt128(8 * (count - 1 - $0))) }
    }

    package init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var value: UInt128 = 0
        for byte in bytes { value = value << 8 | UInt128(byte) }
        self.init(family: bytes.count == 4 ? .v4 : .v6, value: value)
    }

    // MARK: parsing

    static func parseV4(_ s: some Sequence<UInt8>) -> UInt32? {
        var result: UInt32 = 0
        var octets = 0
        var current: UInt32 = 0
        var digits = 0
        for c in s {
            if c == UInt8(ascii: ".") {
                guard digits > 0, octets < 3 else { return nil }
                result = result << 8 | current
                octets += 1
                current = 0
                digits = 0
            } else if c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") {
                // Leading zeros are refused, as Go's net.ParseIP does: "010" is ambiguous (octal?).
                if digits > 0 && current == 0 { return nil }
                current = current * 10 + UInt32(c - UInt8(ascii: "0"))
                digits += 1
                guard current <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, octets == 3 else { return nil }
        return result << 8 | current
    }

    static func parseV6(_ s: ArraySlice<UInt8>) -> UInt128? {
        guard !s.isEmpty else { return nil }
        var groups: [UInt16] = []
        var compressAt: Int? = nil
        var i = s.startIndex
        if s.starts(with: [UInt8(ascii: ":"), UInt8(ascii: ":")]) {
            compressAt = 0
            i += 2
            if i == s.endIndex { return 0 }
        } else if s.first == UInt8(ascii: ":") {
            return nil
        }
        while i < s.endIndex {
            // An IPv4 tail ("::ffff:1.2.3.4") fills the last two groups.
            var j = i
            var sawDot = false
            while j < s.endIndex, s[j] != UInt8(ascii: ":") {
                if s[j] == UInt8(ascii: ".") { sawDot = true }
                j += 1
            }
            if sawDot {
                guard j == s.endIndex, let v4 = parseV4(s[i..<j]) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                i = j
                break
            }
            let length = j - i
            guard length >= 1, length <= 4 else { return nil }
            var group: UInt16 = 0
            for c in s[i..<j] {
                guard let nibble = hexValue(c) else { return nil }
                group = group << 4 | UInt16(nibble)
            }
            groups.append(group)
            i = j
            if i < s.endIndex {
                i += 1  // the ':'
                if i < s.endIndex, s[i] == UInt8(ascii: ":") {
                    guard compressAt == nil else { return nil }
                    compressAt = groups.count
                    i += 1
                } else if i == s.endIndex {
                    return nil  // trailing single ':'
                }
            }
        }
        if let at = compressAt {
            guard groups.count < 8 else { return nil }
            groups.insert(contentsOf: [UInt16](repeating: 0, count: 8 - groups.count), at: at)
        }
        guard groups.count == 8 else { return nil }
        return groups.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    // MARK: formatting

    static func formatV4(_ v: UInt32) -> String {
        "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
    }

    /// RFC 5952 text, which is also what Go's `net.IP.String()` prints, so that
    /// addresses we return compare equal to the ones dockerd sends back.
    static func formatV6(_ v: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: v >> UInt128(16 * (7 - $0))) }
        // Longest run of two or more zero groups, first one on a tie.
        var bestStart = -1, bestLength = 0, runStart = -1
        for index in 0...8 {
            if index < 8 && groups[index] == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                let length = index - runStart
                if length > bestLength && length >= 2 { bestStart = runStart; bestLength = length }
                runStart = -1
            }
        }
        if bestStart == 0 && bestLength == 5 && groups[5] == 0xFFFF {
            return "::ffff:" + formatV4(UInt32(truncatingIfNeeded: v))
        }
        var out = ""
        var index = 0
        while index < 8 {
            if index == bestStart {
                out += "::"
                index += bestLength
                continue
            }
            if !out.isEmpty && !out.hasSuffix(":") { out += ":" }
            out += String(groups[index], radix: 16)
            index += 1
        }
        return out
    }
}
