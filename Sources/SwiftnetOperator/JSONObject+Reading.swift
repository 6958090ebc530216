import SwiftnetJSON

/// Strict reads for the operator formats (the server's own answers): a missing or mistyped
/// required key is an error naming it, unlike the lenient plugin-message reads.
extension JSONObject {
    func required(_ key: String) throws(OperatorError) -> String {
        guard case .string(let value)? = self[key] else { throw .malformed("'\(key)' is missing or not a string") }
        return value
    }

    func optional(_ key: String) throws(OperatorError) -> String? {
        switch self[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw .malformed("'\(key)' is not a string")
        }
    }

    func integer(_ key: String) throws(OperatorError) -> Int {
        guard case .number(let value)? = self[key], value.rounded() == value, abs(value) < 9e15 else {
            throw .malformed("'\(key)' is missing or not an integer")
        }
        return Int(value)
    }

    func optionalInteger(_ key: String) throws(OperatorError) -> Int? {
        if case .null? = self[key] { return nil }
        return self[key] == nil ? nil : try integer(key)
    }

    func flag(_ key: String) throws(OperatorError) -> Bool {
        guard case .bool(let value)? = self[key] else { throw .malformed("'\(key)' is missing or not a boolean") }
        return value
    }

    func objects(_ key: String) throws(OperatorError) -> [JSONObject] {
        guard case .array(let values)? = self[key] else { throw .malformed("'\(key)' is missing or not an array") }
        var objects: [JSONObject] = []
        for value in values {
            guard case .object(let object) = value else { throw .malformed("'\(key)' holds a non-object") }
            objects.append(object)
        }
        return objects
    }

    func strings(_ key: String) throws(OperatorError) -> [String] {
        guard case .array(let values)? = self[key] else { throw .malformed("'\(key)' is missing or not an array") }
        var strings: [String] = []
        for value in values {
            guard case .string(let text) = value else { throw .malformed("'\(key)' holds a non-string") }
            strings.append(text)
        }
        return strings
    }

    func stringDictionary(_ key: String) throws(OperatorError) -> [String: String] {
        guard case .object(let object)? = self[key] else { throw .malformed("'\(key)' is missing or not an object") }
        var result: [String: String] = [:]
        for member in object.members {
            guard case .string(let text) = member.value else { throw .malformed("'\(key).\(member.key)' is not a string") }
            result[member.key] = text
        }
        return result
    }
}

extension JSONValue {
    static func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
    static func integer(_ value: Int) -> JSONValue { .number(Double(value)) }

    func operatorObject(_ what: String) throws(OperatorError) -> JSONObject {
        guard case .object(let object) = self else { throw .malformed("\(what) is not a JSON object") }
        return object
    }
}
