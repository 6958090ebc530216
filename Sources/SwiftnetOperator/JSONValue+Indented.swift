import SwiftnetJSON

extension JSONValue {
    /// This value as `docker network inspect` prints JSON: one member or element per line,
    /// indented by four spaces per level; empty arrays and objects as `[]` and `{}`.
    package var indentedString: String {
        var out = ""
        writeIndented(to: &out, level: 0)
        return out
    }

    private func writeIndented(to out: inout String, level: Int) {
        let inner = String(repeating: "    ", count: level + 1)
        switch self {
        case .array(let elements) where !elements.isEmpty:
            out += "[\n"
            for (offset, element) in elements.enumerated() {
                out += inner
                element.writeIndented(to: &out, level: level + 1)
                out += offset == elements.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "    ", count: level) + "]"
        case .object(let object) where !object.members.isEmpty:
            out += "{\n"
            for (offset, member) in object.members.enumerated() {
                out += inner + JSONValue.string(member.key).serializedString + ": "
                member.value.writeIndented(to: &out, level: level + 1)
                out += offset == object.members.count - 1 ? "\n" : ",\n"
            }
            out += String(repeating: "    ", count: level) + "}"
        default:
            out += serializedString
        }
    }
}
