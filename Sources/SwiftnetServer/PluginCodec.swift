import Foundation
import SwiftnetPluginAPI

/// JSON in and out of plugin calls. dockerd sends no Content-Type and, for argument-less
/// calls, an empty body; answers always carry a JSON body (an empty one fails in dockerd).
enum PluginCodec {
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], call: String) throws -> T {
        guard !body.isEmpty else { throw PluginError.badRequest("\(call): empty request body, expected JSON") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(body))
        } catch let error as DecodingError {
            throw PluginError.badRequest("\(call): undecodable request: \(describe(error))")
        }
    }

    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding our own plain structs cannot fail; an empty object keeps dockerd working if it ever did.
        return (try? Array(encoder.encode(value))) ?? Array("{}".utf8)
    }

    static func errorBody(_ message: String) -> [UInt8] {
        encode(PluginAPI.ErrorResponse(message))
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            return "\(path(context)) is not a \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null, expected \(type)"
        case .keyNotFound(let key, _):
            return "missing key \(key.stringValue)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.isEmpty ? "body" : context.codingPath.map(\.stringValue).joined(separator: ".")
    }
}
