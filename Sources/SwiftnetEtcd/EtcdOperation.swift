import SwiftnetJSON

/// One request inside a transaction.
package enum EtcdOperation: Sendable, Equatable {
    /// `lease` 0: the key hangs on no lease.
    case put(key: String, value: String, lease: Int64 = 0)
    /// `rangeEnd` nil: the key alone.
    case range(key: String, rangeEnd: String? = nil)
    case deleteRange(key: String, rangeEnd: String? = nil)

    var json: JSONValue {
        switch self {
        case .put(let key, let value, let lease):
            return .object(["request_put": .object(EtcdOperation.put(key, value, lease))])
        case .range(let key, let rangeEnd):
            return .object(["request_range": .object(EtcdOperation.keyRange(key, rangeEnd))])
        case .deleteRange(let key, let rangeEnd):
            return .object(["request_delete_range": .object(EtcdOperation.keyRange(key, rangeEnd))])
        }
    }

    static func put(_ key: String, _ value: String, _ lease: Int64) -> JSONObject {
        var object: JSONObject = ["key": EtcdJSON.bytes(key), "value": EtcdJSON.bytes(value)]
        if lease != 0 { object["lease"] = EtcdJSON.number(lease) }
        return object
    }

    static func keyRange(_ key: String, _ rangeEnd: String?) -> JSONObject {
        var object: JSONObject = ["key": EtcdJSON.bytes(key)]
        if let rangeEnd { object["range_end"] = EtcdJSON.bytes(rangeEnd) }
        return object
    }
}

/// The answer to one request of a transaction, in the same order.
package enum EtcdOperationResponse: Sendable, Equatable {
    case put
    case range([EtcdKeyValue])
    case deleteRange(deleted: Int64)

    init(json object: JSONObject) throws(EtcdJSON.Failure) {
        if let range = try EtcdJSON.object(object, "response_range") {
            var kvs: [EtcdKeyValue] = []
            for kv in try EtcdJSON.objects(range, "kvs") { kvs.append(try EtcdKeyValue(json: kv)) }
            self = .range(kvs)
        } else if let delete = try EtcdJSON.object(object, "response_delete_range") {
            self = .deleteRange(deleted: try EtcdJSON.int64(delete, "deleted"))
        } else if try EtcdJSON.object(object, "response_put") != nil {
            self = .put
        } else {
            throw EtcdJSON.Failure(what: "transaction response of unknown kind: \(JSONValue.object(object).serializedString)")
        }
    }

    /// The keys of a range answer; empty for the other kinds.
    package var keyValues: [EtcdKeyValue] {
        if case .range(let kvs) = self { return kvs }
        return []
    }
}

/// What a transaction did.
package struct EtcdTxnResult: Sendable, Equatable {
    /// Whether every compare held (so `success` ran, else `failure`).
    package var succeeded: Bool
    /// The store's revision after the transaction.
    package var revision: Int64
    package var responses: [EtcdOperationResponse]
}

/// What a range read found.
package struct EtcdRangeResult: Sendable, Equatable {
    package var keyValues: [EtcdKeyValue]
    /// The store's revision the read saw: a watch from `revision + 1` misses nothing after it.
    package var revision: Int64
    /// How many keys are in the range (more than `keyValues` when a limit cut it).
    package var count: Int64
}

/// Key ranges by prefix.
package enum EtcdKeyRange {
    /// The range end that makes `[prefix, end)` every key starting with `prefix`.
    package static func end(ofPrefix prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        while let last = bytes.last {
            if last < 0xFF {
                bytes[bytes.count - 1] = last + 1
                return String(decoding: bytes, as: UTF8.self)
            }
            bytes.removeLast()
        }
        // Every key ("\0" as range end means "to the end").
        return "\0"
    }
}
