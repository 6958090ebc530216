extension String {
    /// This text with everything that could end or rewrite a log line spelled out: C0 controls
    /// (`\n`, `\r`, `\t`, others as `\u{1B}`), DEL, C1 controls and the Unicode line and paragraph
    /// separators. Backslashes are doubled, so that an escaped `\n` cannot be told apart from a
    /// client that sent those two characters, and one log line stays one line.
    package var logEscaped: String {
        guard needsLogEscape else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 16)
        for scalar in unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.needsLogEscape: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

extension String {
    /// Whether `logEscaped` changes this text. Printable ASCII without a backslash (every id,
    /// address and call name swiftnet logs) is told by its bytes alone: this runs for every
    /// value of every log line, and walking Unicode scalars cost more than writing the line.
    package var needsLogEscape: Bool {
        let plain = utf8.withContiguousStorageIfAvailable { bytes in
            bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
        } ?? utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
        if plain { return false }
        return unicodeScalars.contains { $0.needsLogEscape || $0 == "\\" }
    }
}

extension Unicode.Scalar {
    /// C0, DEL, C1, LINE SEPARATOR and PARAGRAPH SEPARATOR: what terminals and log viewers
    /// may take as a line break or a control sequence.
    var needsLogEscape: Bool {
        value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
    }
}
