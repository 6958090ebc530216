import SwiftnetDiagnosis
import SwiftnetJSON

extension Finding {
    package var json: JSONValue {
        .object([
            "kind": .string(kind.rawValue), "subject": .string(subject), "network": .optional(networkID),
            "endpoint": .optional(endpointID), "problem": .string(problem), "meaning": .string(meaning),
            "repair": .string(repair), "fixable": .bool(fixable),
        ])
    }

    package init(json object: JSONObject) throws(OperatorError) {
        let kindName = try object.required("kind")
        guard let kind = Kind(rawValue: kindName) else { throw .malformed("unknown finding kind '\(kindName)'") }
        self.init(kind: kind, subject: try object.required("subject"), networkID: try object.optional("network"),
                  endpointID: try object.optional("endpoint"), problem: try object.required("problem"),
                  meaning: try object.required("meaning"), repair: try object.required("repair"),
                  fixable: try object.flag("fixable"))
    }
}
