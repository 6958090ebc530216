/// A JSON document as the fuzz test builds and breaks it: numbers keep their literal text and
/// strings their raw bytes, so that `1e400`, `-0`, duplicate keys and invalid UTF-8 survive
/// until they are on the wire (a Foundation or swiftnet tree would normalise them away).
indirect enum FuzzValue {
    case null
    case bool(Bool)
    case number(String)
    case string([UInt8])
    case array([FuzzValue])
    case object([(key: [UInt8], value: FuzzValue)])

    static func text(_ text: String) -> FuzzValue { .string(Array(text.utf8)) }

    /// One step from a value to a child: an array index or an object member's position.
    typealias Path = [Int]

    var serialized: [UInt8] {
        var out: [UInt8] = []
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let value): out += Array((value ? "true" : "false").utf8)
        case .number(let literal): out += Array(literal.utf8)
        case .string(let bytes): FuzzValue.writeString(bytes, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                FuzzValue.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Quote, backslash and C0 controls escaped (so control characters reach the handlers as
    /// data); every other byte as it is, invalid UTF-8 included.
    private static func writeString(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), byte]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Elements of an array, member values of an object; nothing for the rest.
    var children: [FuzzValue] {
        switch self {
        case .array(let elements): return elements
        case .object(let members): return members.map(\.value)
        default: return []
        }
    }

    /// This value with the node at `path` replaced by `change(node)`.
    func replacing(at path: Path, _ change: (FuzzValue) -> FuzzValue) -> FuzzValue {
        guard let first = path.first else { return change(self) }
        let rest = Array(path.dropFirst())
        switch self {
        case .array(var elements) where elements.indices.contains(first):
            elements[first] = elements[first].replacing(at: rest, change)
            return .array(elements)
        case .object(var members) where members.indices.contains(first):
            members[first].value = members[first].value.replacing(at: rest, change)
            return .object(members)
        default:
            return self
        }
    }

    /// This value with every number replaced by `literal`.
    func replacingNumbers(with literal: String) -> FuzzValue {
        switch self {
        case .number: return .number(literal)
        case .array(let elements): return .array(elements.map { $0.replacingNumbers(with: literal) })
        case .object(let members): return .object(members.map { (key: $0.key, value: $0.value.replacingNumbers(with: literal)) })
        default: return self
        }
    }

    /// The string member `key` of an object, if it is one.
    func string(_ key: String) -> String? {
        guard case .object(let members) = self,
              case .string(let bytes)? = members.last(where: { $0.key == Array(key.utf8) })?.value else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension FuzzValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByNilLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    init(stringLiteral value: String) { self = .text(value) }
    init(integerLiteral value: Int) { self = .number(String(value)) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(nilLiteral: ()) { self = .null }
    init(arrayLiteral elements: FuzzValue...) { self = .array(elements) }
    init(dictionaryLiteral elements: (String, FuzzValue)...) {
        self = .object(elements.map { (key: Array($0.0.utf8), value: $0.1) })
    }
}
