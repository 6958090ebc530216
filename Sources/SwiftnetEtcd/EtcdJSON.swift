import SwiftnetJSON

/// Reading and writing the JSON gateway's encoding of etcd's protobuf messages: int64 fields
/// are JSON strings, bytes are base64, and zero values (0, false, empty lists) are omitted.
enum EtcdJSON {
    struct Failure: Error {
        let what: String
    }

    static func int64(_ object: JSONObject, _ key: String) throws(Failure) -> Int64 {
        switch object[key] {
        case nil, .null?: return 0
        case .string(let text)?:
            guard let value = Int64(text) else { throw Failure(what: "\(key) '\(text)' is not an integer") }
            return value
        case .number(let value)?:
            guard value == value.rounded(), abs(value) < 9e15 else { throw Failure(what: "\(key) \(value) is not an integer") }
            return Int64(value)
        case let other?:
            throw Failure(what: "\(key) is \(other.kind)")
        }
    }

    static func bool(_ object: JSONObject, _ key: String) throws(Failure) -> Bool {
        switch object[key] {
        case nil, .null?: return false
        case .bool(let value)?: return value
        case let other?: throw Failure(what: "\(key) is \(other.kind)")
        }
    }

    /// A base64 bytes field, as UTF-8 text.
    static func text(_ object: JSONObject, _ key: String) throws(Failure) -> String {
        switch object[key] {
        case nil, .null?: return ""
        case .string(let encoded)?:
            guard let bytes = Base64.decode(encoded) else { throw Failure(what: "\(key) is not base64") }
            return String(decoding: bytes, as: UTF8.self)
        case let other?: throw Failure(what: "\(key) is \(other.kind)")
        }
    }

    static func object(_ object: JSONObject, _ key: String) throws(Failure) -> JSONObject? {
        switch object[key] {
        case nil, .null?: return nil
        case .object(let value)?: return value
        case let other?: throw Failure(what: "\(key) is \(other.kind)")
        }
    }

    static func objects(_ object: JSONObject, _ key: String) throws(Failure) -> [JSONObject] {
        switch object[key] {
        case nil, .null?: return []
        case .array(let values)?:
            var result: [JSONObject] = []
            for value in values {
                guard case .object(let element) = value else { throw Failure(what: "\(key) holds \(value.kind)") }
                result.append(element)
            }
            return result
        case let other?: throw Failure(what: "\(key) is \(other.kind)")
        }
    }

    /// The header's revision: the store's revision when etcd answered.
    static func revision(_ object: JSONObject) throws(Failure) -> Int64 {
        guard let header = try Self.object(object, "header") else { return 0 }
        return try int64(header, "revision")
    }

    static func bytes(_ text: String) -> JSONValue { .string(Base64.encode(text.utf8)) }
    static func number(_ value: Int64) -> JSONValue { .string(String(value)) }
}
