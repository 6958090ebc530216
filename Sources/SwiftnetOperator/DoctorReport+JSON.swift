import SwiftnetDiagnosis
import SwiftnetJSON

/// The report as `GET /doctor` and `POST /Swiftnet.Repair` answer it, and as the CLI reads it back.
extension DoctorReport {
    package var json: JSONValue {
        var object: JSONObject = [
            "healthy": .bool(isHealthy),
            "findings": .array(findings.map(\.json)),
            "checked": .object(["networks": .integer(checked.networks), "endpoints": .integer(checked.endpoints),
                                "links": .integer(checked.links), "rules": .integer(checked.rules)]),
        ]
        if let before {
            // One line per repair (as printed), and since `repairOutcomes` the same typed.
            object["repairs"] = .array(repairs.map { .string($0.line) })
            object["repairOutcomes"] = .array(repairs.map(\.json))
            object["before"] = .array(before.map(\.json))
        }
        return .object(object)
    }

    package init(json: JSONValue) throws(OperatorError) {
        let object = try json.operatorObject("the doctor's report")
        var findings: [Finding] = []
        for item in try object.objects("findings") { findings.append(try Finding(json: item)) }
        guard case .object(let checked)? = object["checked"] else { throw .malformed("'checked' is missing") }
        var before: [Finding]?
        if object["before"] != nil {
            before = []
            for item in try object.objects("before") { before?.append(try Finding(json: item)) }
        }
        self.init(findings: findings,
                  checked: Checked(networks: try checked.integer("networks"), endpoints: try checked.integer("endpoints"),
                                   links: try checked.integer("links"), rules: try checked.integer("rules")),
                  repairs: try DoctorReport.repairs(object), before: before)
    }

    /// Typed from `repairOutcomes`; from a server older than it, each line as a repair done
    /// (its text is all there is, and it prints as it did).
    private static func repairs(_ object: JSONObject) throws(OperatorError) -> [Repair] {
        if object["repairOutcomes"] != nil {
            var repairs: [Repair] = []
            for item in try object.objects("repairOutcomes") { repairs.append(try Repair(json: item)) }
            return repairs
        }
        guard object["repairs"] != nil else { return [] }
        return try object.strings("repairs").map { Repair(subject: "", action: $0) }
    }
}
