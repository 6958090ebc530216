import SwiftnetJSON

/// Messages common to every plugin interface. Keys are dockerd's Go field names, which carry
/// no json tags, so the wire keys are exactly these (PascalCase). Answers list keys sorted,
/// as Go's encoder does.
public enum PluginAPI {
    /// `POST /Plugin.Activate`.
    public struct ActivateResponse: Sendable, Equatable {
        public var implements: [String]
        public init(implements: [String]) { self.implements = implements }

        public var json: JSONValue {
            .object(["Implements": .array(implements.map(JSONValue.string))])
        }
    }

    /// Every failure: dockerd reads `Err` on a non-200; the IPAM proxy reads `Error` on a 200,
    /// so both carry the message (shared/docs/protocol.md §1.2).
    public static func error(_ message: String) -> JSONValue {
        .object(["Err": .string(message), "Error": .string(message)])
    }

    /// The `{}` answer.
    public static let empty = JSONValue.object([:])
}

/// A request message decoded from a JSON body.
public protocol PluginRequest: Sendable {
    init(json: JSONObject) throws(JSONError)
}
