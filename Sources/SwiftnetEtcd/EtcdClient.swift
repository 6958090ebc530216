import Synchronization
import SwiftnetJSON

/// An etcd v3 client over the JSON gateway (HTTP/1.1 keep-alive on TCP): ranges, puts,
/// compare-and-swap transactions, deletes, leases and watches.
///
/// Every call is bounded by `timeoutSeconds` as a whole, whatever the number of endpoints:
/// endpoints are tried in turn (the last one that answered first) until one answers or time is
/// up, and then the error names every endpoint with its reason. An answer from etcd, even an
/// error, ends the call: only transport failures move on to the next endpoint.
///
/// Safe to call from many threads: each call takes a connection of its own from a free list.
package final class EtcdClient: Sendable {
    package let endpoints: [EtcdEndpoint]
    package let timeoutSeconds: Double

    private struct State {
        var idle: [[HTTPConnection]]
        var preferred = 0
    }
    private let state: Mutex<State>

    /// Idle connections kept per endpoint; more exist only while that many calls overlap.
    static let maximumIdlePerEndpoint = 16

    package init(endpoints: [EtcdEndpoint], timeoutSeconds: Double = 3) {
        precondition(!endpoints.isEmpty, "an etcd client needs an endpoint")
        self.endpoints = endpoints
        self.timeoutSeconds = timeoutSeconds
        state = Mutex(State(idle: Array(repeating: [], count: endpoints.count)))
    }

    package convenience init(endpoints text: String, timeoutSeconds: Double = 3) throws(EtcdError) {
        self.init(endpoints: try EtcdEndpoint.list(parsing: text), timeoutSeconds: timeoutSeconds)
    }

    /// Drops every idle connection (the next call connects anew).
    package func closeIdleConnections() {
        state.withLock { state in
            for index in state.idle.indices { state.idle[index].removeAll() }
        }
    }

    // MARK: the one round trip every call makes

    /// POSTs `body` to `path` and returns etcd's JSON answer, or throws.
    func call(_ path: String, _ body: JSONValue) throws(EtcdError) -> JSONObject {
        let deadline = Deadline(secondsFromNow: timeoutSeconds)
        let payload = body.serialized
        let first = state.withLock { $0.preferred }
        var attempts: [String] = []
        for step in 0..<endpoints.count {
            let index = (first + step) % endpoints.count
            let endpoint = endpoints[index]
            if deadline.hasPassed {
                attempts.append("\(endpoint): not tried, time was up")
                continue
            }
            // A kept connection may have been closed by etcd while idle: on a transport failure
            // of a kept one, drop the kept ones and try once on a fresh connection.
            var usePooled = true
            while true {
                let pooled = usePooled ? state.withLock { $0.idle[index].popLast() } : nil
                do {
                    let connection = try pooled ?? HTTPConnection(to: endpoint, deadline: deadline)
                    let (head, response) = try Self.exchange(connection, path, payload, deadline)
                    if head.keepAlive {
                        state.withLock { state in
                            if state.idle[index].count < Self.maximumIdlePerEndpoint { state.idle[index].append(connection) }
                        }
                    }
                    state.withLock { $0.preferred = index }
                    return try Self.decode(head.status, response, endpoint)
                } catch let error as HTTPConnection.TransportError {
                    if pooled != nil && !deadline.hasPassed {
                        usePooled = false
                        state.withLock { $0.idle[index].removeAll() }
                        continue
                    }
                    attempts.append("\(endpoint): \(error.description)")
                    break
                } catch let error as EtcdError {
                    throw error
                } catch {
                    attempts.append("\(endpoint): \(error)")
                    break
                }
            }
        }
        throw .unreachable(attempts: attempts, seconds: timeoutSeconds)
    }

    private static func exchange(_ connection: HTTPConnection, _ path: String, _ payload: [UInt8],
                                 _ deadline: Deadline) throws(HTTPConnection.TransportError) -> (HTTPConnection.Head, [UInt8]) {
        try connection.sendPost(path, body: payload, deadline: deadline)
        let head = try connection.readHead(deadline: deadline)
        let body = try connection.readBody(head, deadline: deadline)
        return (head, body)
    }

    /// etcd's answer as an object; an error answer (`{"error":…,"code":…}`) as `.server`.
    static func decode(_ status: Int, _ body: [UInt8], _ endpoint: EtcdEndpoint) throws(EtcdError) -> JSONObject {
        let parsed: JSONValue
        do {
            parsed = try JSONParser.parse(body)
        } catch {
            throw .malformedResponse(endpoint: endpoint.description,
                                     "HTTP \(status), not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        guard case .object(var object) = parsed else {
            throw .malformedResponse(endpoint: endpoint.description, "HTTP \(status), \(parsed.kind)")
        }
        // keepalive answers as a stream: {"result":{…}}.
        if case .object(let inner)? = object["result"] { object = inner }
        if status != 200 || object["error"] != nil {
            let message: String
            switch object["message"] ?? object["error"] {
            case .string(let text)?: message = text
            case let other?: message = other.serializedString
            case nil: message = String(decoding: body.prefix(200), as: UTF8.self)
            }
            let code = (try? EtcdJSON.int64(object, "code")).map(Int.init) ?? 0
            throw .server(endpoint: endpoint.description, status: status, code: code, message: message)
        }
        return object
    }

    static func malformed(_ failure: EtcdJSON.Failure, _ path: String) -> EtcdError {
        .malformedResponse(endpoint: path, failure.what)
    }
}
