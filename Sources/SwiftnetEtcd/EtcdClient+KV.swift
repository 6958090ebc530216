import SwiftnetJSON

extension EtcdClient {
    /// Keys from `key` (alone, or up to `rangeEnd` exclusive), sorted by key.
    package func range(_ key: String, rangeEnd: String? = nil, keysOnly: Bool = false,
                       limit: Int64 = 0) throws(EtcdError) -> EtcdRangeResult {
        var request = EtcdOperation.keyRange(key, rangeEnd)
        if keysOnly { request["keys_only"] = .bool(true) }
        if limit > 0 { request["limit"] = EtcdJSON.number(limit) }
        let answer = try call("/v3/kv/range", .object(request))
        do {
            var kvs: [EtcdKeyValue] = []
            for kv in try EtcdJSON.objects(answer, "kvs") { kvs.append(try EtcdKeyValue(json: kv)) }
            return EtcdRangeResult(keyValues: kvs, revision: try EtcdJSON.revision(answer),
                                   count: try EtcdJSON.int64(answer, "count"))
        } catch {
            throw Self.malformed(error, "/v3/kv/range")
        }
    }

    /// Every key starting with `prefix`.
    package func range(prefix: String, keysOnly: Bool = false) throws(EtcdError) -> EtcdRangeResult {
        try range(prefix, rangeEnd: EtcdKeyRange.end(ofPrefix: prefix), keysOnly: keysOnly)
    }

    /// The key's current value, or nil.
    package func get(_ key: String) throws(EtcdError) -> EtcdKeyValue? {
        try range(key).keyValues.first
    }

    /// Writes unconditionally; returns the store's revision after.
    @discardableResult
    package func put(_ key: String, _ value: String, lease: Int64 = 0) throws(EtcdError) -> Int64 {
        let answer = try call("/v3/kv/put", .object(EtcdOperation.put(key, value, lease)))
        do { return try EtcdJSON.revision(answer) } catch { throw Self.malformed(error, "/v3/kv/put") }
    }

    /// Deletes `key` (or the range); returns how many keys went.
    @discardableResult
    package func deleteRange(_ key: String, rangeEnd: String? = nil) throws(EtcdError) -> Int64 {
        let answer = try call("/v3/kv/deleterange", .object(EtcdOperation.keyRange(key, rangeEnd)))
        do { return try EtcdJSON.int64(answer, "deleted") } catch { throw Self.malformed(error, "/v3/kv/deleterange") }
    }

    /// Runs `success` if every compare holds, else `failure`, atomically.
    package func txn(_ compare: [EtcdCompare], success: [EtcdOperation],
                     failure: [EtcdOperation] = []) throws(EtcdError) -> EtcdTxnResult {
        var request: JSONObject = ["compare": .array(compare.map(\.json)), "success": .array(success.map(\.json))]
        if !failure.isEmpty { request["failure"] = .array(failure.map(\.json)) }
        let answer = try call("/v3/kv/txn", .object(request))
        do {
            var responses: [EtcdOperationResponse] = []
            for response in try EtcdJSON.objects(answer, "responses") {
                responses.append(try EtcdOperationResponse(json: response))
            }
            return EtcdTxnResult(succeeded: try EtcdJSON.bool(answer, "succeeded"),
                                 revision: try EtcdJSON.revision(answer), responses: responses)
        } catch {
            throw Self.malformed(error, "/v3/kv/txn")
        }
    }

    /// Drops history up to `revision` (tests use it to make a watch's resume point too old).
    package func compact(revision: Int64) throws(EtcdError) {
        _ = try call("/v3/kv/compaction", .object(["revision": EtcdJSON.number(revision), "physical": .bool(true)]))
    }
}
