import SwiftnetJSON
import SwiftnetPluginAPI

/// JSON in and out of plugin calls. dockerd sends no Content-Type and, for argument-less
/// calls, an empty body; answers always carry a JSON body (an empty one fails in dockerd).
enum PluginCodec {
    static func decode<T: PluginRequest>(_ type: T.Type, from body: [UInt8], call: String) throws -> T {
        guard !body.isEmpty else { throw PluginError.badRequest("\(call): empty request body, expected a JSON object") }
        do {
            return try T(json: try JSONParser.parse(body).asObject())
        } catch {
            throw PluginError.badRequest("\(call): undecodable request: \(error)")
        }
    }

    static func errorBody(_ message: String) -> [UInt8] {
        PluginAPI.error(message).serialized
    }
}
