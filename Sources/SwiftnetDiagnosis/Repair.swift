/// One thing a reconciliation (start-up, `doctor --fix`, `gc`) did or tried to do to bring the
/// kernel, the firewall or the IPAM in line with the records.
package struct Repair: Sendable, Equatable {
    package enum Outcome: Sendable, Equatable {
        case done
        case failed(reason: String)
    }

    /// What it concerns, as an operator names it: `network 0123456789ab`, `endpoint …`,
    /// `link swv…`, `firewall`, `address 10.0.0.5`.
    package var subject: String
    /// What was done, in the past tense ("recreated bridge swn-…"); for a failed repair what
    /// was attempted, as a verb ("repair network …").
    package var action: String
    package var outcome: Outcome

    package init(subject: String, action: String, outcome: Outcome = .done) {
        self.subject = subject
        self.action = action
        self.outcome = outcome
    }

    package static func failed(_ subject: String, _ action: String, _ error: any Error) -> Repair {
        Repair(subject: subject, action: action, outcome: .failed(reason: "\(error)"))
    }

    package var succeeded: Bool { outcome == .done }

    /// The line logs and `doctor --fix` print: the action when done, "could not ACTION: REASON"
    /// when not.
    package var line: String {
        switch outcome {
        case .done: return action
        case .failed(let reason): return "could not \(action): \(reason)"
        }
    }

    package static func network(_ id: String) -> String { "network \(id.prefix(12))" }
    package static func endpoint(_ id: String) -> String { "endpoint \(id.prefix(12))" }
    package static func link(_ name: String) -> String { "link \(name)" }
    package static let firewall = "firewall"
}
