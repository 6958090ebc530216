import SwiftnetAddress
import SwiftnetJSON
import SwiftnetNetworkModel

/// The columns that hold JSON (pool options, network options, port lists), written and read
/// with SwiftnetJSON only: object keys sorted, so the same value is always the same text.
extension StateStore {
    static func encodeStringMap(_ map: [String: String]) -> String {
        JSONValue.object(JSONObject(map.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })).serializedString
    }

    static func decodeStringMap(_ text: String) -> [String: String] {
        guard case .object(let object)? = try? JSONParser.parse(text) else { return [:] }
        return object.members.reduce(into: [:]) { result, member in
            if case .string(let value) = member.value { result[member.key] = value }
        }
    }

    static func encode(_ requests: [PortBindingRequest]) -> String {
        JSONValue.array(requests.map { request in
            .object(["proto": .string(request.proto.rawValue), "hostIP": request.hostIP.map { .string($0.description) } ?? .null,
                     "hostPort": .number(Double(request.hostPort)), "hostPortEnd": .number(Double(request.hostPortEnd)),
                     "containerPort": .number(Double(request.containerPort))])
        }).serializedString
    }

    static func encode(_ ports: [PublishedPort]) -> String {
        JSONValue.array(ports.map { port in
            .object(["proto": .string(port.proto.rawValue), "hostIP": port.hostIP.map { .string($0.description) } ?? .null,
                     "hostPort": .number(Double(port.hostPort)), "containerPort": .number(Double(port.containerPort))])
        }).serializedString
    }

    private static func portObjects(_ text: String) -> [JSONObject] {
        guard case .array(let elements)? = try? JSONParser.parse(text) else { return [] }
        return elements.compactMap { if case .object(let object) = $0 { return object } else { return nil } }
    }

    /// A port entry's protocol and host address (absent or empty: every address).
    private static func protoAndHost(_ object: JSONObject) -> (TransportProtocol, IPAddress?)? {
        guard let proto = TransportProtocol(rawValue: (try? object.string("proto")) ?? "") else { return nil }
        let host = (try? object.string("hostIP")) ?? ""
        return (proto, host.isEmpty ? nil : IPAddress(host))
    }

    private static func int(_ object: JSONObject, _ key: String) -> Int {
        // A hand-edited or damaged row must not trap start-up: out-of-range reads as 0.
        if case .number(let value)? = object[key] { return Int(exactly: value) ?? 0 }
        return 0
    }

    static func decodeRequests(_ text: String) -> [PortBindingRequest] {
        portObjects(text).compactMap { object in
            guard let (proto, hostIP) = protoAndHost(object) else { return nil }
            return PortBindingRequest(proto: proto, containerPort: int(object, "containerPort"), hostIP: hostIP,
                                      hostPort: int(object, "hostPort"), hostPortEnd: int(object, "hostPortEnd"))
        }
    }

    static func decodePublished(_ text: String) -> [PublishedPort] {
        portObjects(text).compactMap { object in
            guard let (proto, hostIP) = protoAndHost(object) else { return nil }
            return PublishedPort(proto: proto, hostIP: hostIP, hostPort: int(object, "hostPort"),
                                 containerPort: int(object, "containerPort"))
        }
    }
}
