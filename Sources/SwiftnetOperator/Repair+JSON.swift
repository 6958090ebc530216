import SwiftnetDiagnosis
import SwiftnetJSON

/// `{"subject": "network 0123456789ab", "action": "recreated bridge swn-…", "outcome": "done"}`,
/// or `"outcome": "failed"` with `"reason"`.
extension Repair {
    package var json: JSONValue {
        switch outcome {
        case .done:
            return .object(["subject": .string(subject), "action": .string(action), "outcome": .string("done")])
        case .failed(let reason):
            return .object(["subject": .string(subject), "action": .string(action), "outcome": .string("failed"),
                            "reason": .string(reason)])
        }
    }

    package init(json object: JSONObject) throws(OperatorError) {
        let subject: String = try object.required("subject")
        let action: String = try object.required("action")
        switch try object.required("outcome") as String {
        case "done": self.init(subject: subject, action: action)
        case "failed": self.init(subject: subject, action: action, outcome: .failed(reason: try object.required("reason")))
        case let other: throw .malformed("unknown repair outcome '\(other)'")
        }
    }
}
