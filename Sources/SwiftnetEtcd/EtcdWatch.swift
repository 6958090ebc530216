import SwiftnetJSON

/// A watch on a key range: one long POST to `/v3/watch` whose chunked answer carries one JSON
/// message per line. Read it from one thread with `next`; `cancel` from any thread ends it.
package final class EtcdWatch: Sendable {
    package let endpoint: EtcdEndpoint
    private let connection: HTTPConnection
    /// Bytes received but not yet split into lines; touched only by the reading thread.
    private let pending: PendingLines

    /// Opens the watch on the first endpoint that answers, starting at `startRevision` (0: now).
    /// The open is bounded by the client's timeout; the stream itself is not (it may idle).
    package init(client: EtcdClient, key: String, rangeEnd: String?, startRevision: Int64,
                 progressNotify: Bool = true) throws(EtcdError) {
        let deadline = Deadline(secondsFromNow: client.timeoutSeconds)
        var create = EtcdOperation.keyRange(key, rangeEnd)
        if startRevision > 0 { create["start_revision"] = EtcdJSON.number(startRevision) }
        if progressNotify { create["progress_notify"] = .bool(true) }
        let payload = JSONValue.object(["create_request": .object(create)]).serialized
        var attempts: [String] = []
        for endpoint in client.endpoints {
            do {
                let connection = try HTTPConnection(to: endpoint, deadline: deadline)
                try connection.sendPost("/v3/watch", body: payload, deadline: deadline)
                let head = try connection.readHead(deadline: deadline)
                guard head.status == 200, head.isChunked else {
                    let body = (try? connection.readBody(head, deadline: deadline)) ?? []
                    _ = try EtcdClient.decode(head.status, body, endpoint)
                    throw EtcdError.malformedResponse(endpoint: endpoint.description, "watch answered HTTP \(head.status) without a stream")
                }
                self.endpoint = endpoint
                self.connection = connection
                self.pending = PendingLines()
                return
            } catch let error as HTTPConnection.TransportError {
                attempts.append("\(endpoint): \(error.description)")
            } catch let error as EtcdError {
                throw error
            } catch {
                attempts.append("\(endpoint): \(error)")
            }
        }
        throw .unreachable(attempts: attempts, seconds: client.timeoutSeconds)
    }

    /// The next message; throws `.watchEnded` when the stream ends (etcd stopped, network gone,
    /// `cancel()`). Waits without bound unless `timeoutSeconds` is given (then nil on timeout).
    package func next(timeoutSeconds: Double? = nil) throws(EtcdError) -> EtcdWatchResponse? {
        let deadline = timeoutSeconds.map { Deadline(secondsFromNow: $0) }
        while true {
            if let line = pending.takeLine() {
                if line.allSatisfy({ $0 == 32 || $0 == 13 }) { continue }
                return try parse(line)
            }
            if let deadline, !connection.waitForData(deadline: deadline) { return nil }
            let chunk: [UInt8]?
            do {
                // Once a chunk has begun, the rest of it comes with it: a bound only against a
                // peer gone silent half-way.
                chunk = try connection.readChunk(deadline: Deadline(secondsFromNow: 30))
            } catch {
                throw .watchEnded("\(endpoint): \(error.description)")
            }
            guard let chunk else { throw .watchEnded("\(endpoint) ended the stream") }
            pending.append(chunk)
        }
    }

    /// Ends the stream: a `next` blocked in another thread returns with `.watchEnded`.
    package func cancel() {
        connection.shutdownNow()
    }

    private func parse(_ line: [UInt8]) throws(EtcdError) -> EtcdWatchResponse {
        let object: JSONObject
        do {
            object = try JSONParser.parse(line).asObject()
        } catch {
            throw .malformedResponse(endpoint: endpoint.description, "watch line: \(String(decoding: line.prefix(200), as: UTF8.self))")
        }
        if let error = object["error"] {
            throw .watchEnded("\(endpoint) reported \(error.serializedString)")
        }
        do throws(EtcdJSON.Failure) {
            guard let result = try EtcdJSON.object(object, "result") else {
                throw EtcdJSON.Failure(what: "watch message without result")
            }
            var events: [EtcdWatchEvent] = []
            for event in try EtcdJSON.objects(result, "events") {
                let kind: EtcdWatchEvent.Kind
                switch event["type"] {
                case nil, .string("PUT")?: kind = .put
                case .string("DELETE")?: kind = .delete
                case let other?: throw EtcdJSON.Failure(what: "event type \(other.serializedString)")
                }
                guard let kv = try EtcdJSON.object(event, "kv") else { throw EtcdJSON.Failure(what: "event without kv") }
                events.append(EtcdWatchEvent(kind: kind, keyValue: try EtcdKeyValue(json: kv)))
            }
            return EtcdWatchResponse(
                revision: try EtcdJSON.revision(result), events: events,
                created: try EtcdJSON.bool(result, "created"), canceled: try EtcdJSON.bool(result, "canceled"),
                compactRevision: try EtcdJSON.int64(result, "compact_revision"))
        } catch {
            throw EtcdClient.malformed(error, "/v3/watch")
        }
    }
}

/// Newline-split buffer for the watch stream; only its reading thread touches it.
private final class PendingLines: @unchecked Sendable {
    private var bytes: [UInt8] = []

    func append(_ chunk: [UInt8]) { bytes += chunk }

    func takeLine() -> [UInt8]? {
        guard let newline = bytes.firstIndex(of: 10) else { return nil }
        let line = Array(bytes[..<newline])
        bytes.removeFirst(newline + 1)
        return line
    }
}
