import SwiftnetJSON

/// Messages common to every plugin interface. Keys are dockerd's Go field names, which carry
/// no json tags, so the wire keys are exactly these (PascalCase). Answers list keys sorted,
/// as Go's encoder does.
package enum PluginAPI {
    /// `POST /Plugin.Activate`.
    package struct ActivateResponse: Sendable, Equatable {
        package var implements: [String]
        package init(implements: [String]) { self.implements = implements }

        package var json: JSONValue {
            .object(["Implements": .array(implements.map(JSONValue.string))])
        }
    }

    /// Every failure: dockerd reads `Err` on a non-200; the IPAM proxy reads `Error` on a 200,
    /// so both carry the message (shared/docs/protocol.md §1.2).
    package static func error(_ message: String) -> JSONValue {
        .object(["Err": .string(message), "Error": .string(message)])
    }

    /// The `{}` answer.
    package static let empty = JSONValue.object([:])
}

/// A request message decoded from a JSON body.
package protocol PluginRequest: Sendable {
    init(json: JSONObject) throws(JSONError)
}
