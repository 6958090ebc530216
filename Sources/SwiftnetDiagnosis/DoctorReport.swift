/// What `swiftnet doctor` reports: the findings, and with `--fix` what was repaired and what
/// was found before. (Its JSON form is in SwiftnetOperator.)
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
    /// With --fix: what the reconciliation repaired, or tried to.
    package var repairs: [Repair]
    /// With --fix: the findings before repairing.
    package var before: [Finding]?

    package init(findings: [Finding], checked: Checked, repairs: [Repair] = [], before: [Finding]? = nil) {
        self.findings = findings
        self.checked = checked
        self.repairs = repairs
        self.before = before
    }

    package var isHealthy: Bool { findings.isEmpty }
}
