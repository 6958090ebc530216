import SwiftnetJSON
import SwiftnetPluginAPI

/// JSON in and out of plugin calls. dockerd sends no Content-Type and, for argument-less
/// calls, an empty body; answers always carry a JSON body (an empty one fails in dockerd).
enum PluginCodec {
    static func decode<T: PluginRequest>(_ type: T.Type, from body: [UInt8], call: String) throws -> T {
        guard !body.isEmpty else { throw PluginError.badRequest(emptyBodyMessage(call: call)) }
        do {
            return try T(json: try JSONParser.parse(body).asObject())
        } catch {
            throw PluginError.badRequest("\(call): undecodable request: \(error)")
        }
    }

    /// dockerd sends a call that takes arguments with an empty body in one case only: it resent
    /// the call after the connection broke once the request was written, and by then it had
    /// used up its copy of the body. Nothing can be recovered from it; the user reads this.
    static func emptyBodyMessage(call: String) -> String {
        "\(call): empty request body. dockerd resends a call without its body when its connection to "
            + "swiftnet broke after the request was sent (for example while swiftnet restarted or closed "
            + "idle connections under load); nothing was changed by this call — run the command again"
    }

    static func errorBody(_ message: String) -> [UInt8] {
        PluginAPI.error(message).serialized
    }
}
