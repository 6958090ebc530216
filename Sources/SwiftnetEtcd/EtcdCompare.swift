import SwiftnetJSON

/// One condition of a transaction, on one key.
package struct EtcdCompare: Sendable, Equatable {
    package enum Target: Sendable, Equatable {
        /// How many times the key was written since it was created; 0 when it does not exist.
        case version(Int64)
        case createRevision(Int64)
        case modRevision(Int64)
        case value(String)
        case lease(Int64)
    }

    package enum Result: String, Sendable, Equatable {
        case equal = "EQUAL", notEqual = "NOT_EQUAL", greater = "GREATER", less = "LESS"
    }

    package var key: String
    /// With a range end, the condition must hold for every key in `[key, rangeEnd)` (vacuously
    /// true for an empty range, except for `.value`).
    package var rangeEnd: String?
    package var target: Target
    package var result: Result

    package init(key: String, rangeEnd: String? = nil, _ target: Target, _ result: Result = .equal) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.target = target
        self.result = result
    }

    /// No key under `prefix` was written after `revision`: a transaction with it acts only on
    /// the state a read at `revision` saw.
    package static func unchanged(prefix: String, since revision: Int64) -> EtcdCompare {
        EtcdCompare(key: prefix, rangeEnd: EtcdKeyRange.end(ofPrefix: prefix), .modRevision(revision + 1), .less)
    }

    /// The key does not exist: the create-if-absent condition.
    package static func absent(_ key: String) -> EtcdCompare { EtcdCompare(key: key, .version(0)) }

    var json: JSONValue {
        var object: JSONObject = ["key": EtcdJSON.bytes(key), "result": .string(result.rawValue)]
        if let rangeEnd { object["range_end"] = EtcdJSON.bytes(rangeEnd) }
        switch target {
        case .version(let v):
            object["target"] = .string("VERSION"); object["version"] = EtcdJSON.number(v)
        case .createRevision(let v):
            object["target"] = .string("CREATE"); object["create_revision"] = EtcdJSON.number(v)
        case .modRevision(let v):
            object["target"] = .string("MOD"); object["mod_revision"] = EtcdJSON.number(v)
        case .value(let v):
            object["target"] = .string("VALUE"); object["value"] = EtcdJSON.bytes(v)
        case .lease(let v):
            object["target"] = .string("LEASE"); object["lease"] = EtcdJSON.number(v)
        }
        return .object(object)
    }
}
