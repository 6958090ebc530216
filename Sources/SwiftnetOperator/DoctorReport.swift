import SwiftnetJSON

/// What `swiftnet doctor` reports: the findings, and with `--fix` what was repaired and what
/// was found before. `GET /doctor` and `POST /Swiftnet.Repair` answer it as JSON.
package struct DoctorReport: Sendable, Equatable {
    package struct Checked: Sendable, Equatable {
        package var networks: Int
        package var endpoints: Int
        package var links: Int
        package var rules: Int

        package init(networks: Int, endpoints: Int, links: Int, rules: Int) {
            self.networks = networks
            self.endpoints = endpoints
            self.links = links
            self.rules = rules
        }
    }

    /// What differs now (after the repairs, with --fix).
    package var findings: [Finding]
    package var checked: Checked
    /// With --fix: one line per repair made.
    package var repairs: [String]
    /// With --fix: the findings before repairing.
    package var before: [Finding]?

    package init(findings: [Finding], checked: Checked, repairs: [String] = [], before: [Finding]? = nil) {
        self.findings = findings
        self.checked = checked
        self.repairs = repairs
        self.before = before
    }

    package var isHealthy: Bool { findings.isEmpty }

    package var json: JSONValue {
        var object: JSONObject = [
            "healthy": .bool(isHealthy),
            "findings": .array(findings.map(\.json)),
            "checked": .object(["networks": .integer(checked.networks), "endpoints": .integer(checked.endpoints),
                                "links": .integer(checked.links), "rules": .integer(checked.rules)]),
        ]
        if let before {
            object["repairs"] = .array(repairs.map { .string($0) })
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
                  repairs: object["repairs"] == nil ? [] : try object.strings("repairs"), before: before)
    }
}

extension Finding {
    package var json: JSONValue {
        .object([
            "kind": .string(kind.rawValue), "subject": .string(subject), "network": .optional(networkID),
            "endpoint": .optional(endpointID), "problem": .string(problem), "meaning": .string(meaning),
            "repair": .string(repair), "fixable": .bool(fixable),
        ])
    }

    init(json object: JSONObject) throws(OperatorError) {
        let kindName = try object.required("kind")
        guard let kind = Kind(rawValue: kindName) else { throw .malformed("unknown finding kind '\(kindName)'") }
        self.init(kind: kind, subject: try object.required("subject"), networkID: try object.optional("network"),
                  endpointID: try object.optional("endpoint"), problem: try object.required("problem"),
                  meaning: try object.required("meaning"), repair: try object.required("repair"),
                  fixable: try object.flag("fixable"))
    }
}
