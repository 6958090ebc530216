/// Typed reads of plugin message fields with Go's leniency: a missing key or `null` is the
/// zero value, as `encoding/json` leaves it; a present value of the wrong kind is an error
/// naming the field.
extension JSONObject {
    package func string(_ key: String, path: String = "") throws(JSONError) -> String {
        switch self[key] {
        case nil, .null?: return ""
        case .string(let value)?: return value
        case let other?: throw .shape(path: path + key, expected: "a string", found: other.kind)
        }
    }

    package func bool(_ key: String, path: String = "") throws(JSONError) -> Bool {
        switch self[key] {
        case nil, .null?: return false
        case .bool(let value)?: return value
        case let other?: throw .shape(path: path + key, expected: "a boolean", found: other.kind)
        }
    }

    package func object(_ key: String, path: String = "") throws(JSONError) -> JSONObject? {
        switch self[key] {
        case nil, .null?: return nil
        case .object(let value)?: return value
        case let other?: throw .shape(path: path + key, expected: "an object", found: other.kind)
        }
    }

    package func array(_ key: String, path: String = "") throws(JSONError) -> [JSONValue]? {
        switch self[key] {
        case nil, .null?: return nil
        case .array(let value)?: return value
        case let other?: throw .shape(path: path + key, expected: "an array", found: other.kind)
        }
    }

    /// A `map[string]string` such as IPAM `Options`.
    package func stringMap(_ key: String, path: String = "") throws(JSONError) -> [String: String] {
        guard let object = try object(key, path: path) else { return [:] }
        var result: [String: String] = [:]
        for member in object.members {
            guard case .string(let value) = member.value else {
                throw .shape(path: path + key + "." + member.key, expected: "a string", found: member.value.kind)
            }
            result[member.key] = value
        }
        return result
    }
}

extension JSONValue {
    /// The value as an object, or a shape error at `path`.
    package func asObject(path: String = "body") throws(JSONError) -> JSONObject {
        guard case .object(let object) = self else { throw .shape(path: path, expected: "an object", found: kind) }
        return object
    }
}
