/// The watchdog's decision, from one `DescriptorUsage` per check: exhaustion is reported at
/// once, and seen on `checksBeforeExit` checks in a row it ends the process. A leak does not
/// heal, and a server that cannot open a pipe, socket or file fails every network change
/// while still answering IPAM calls — up, but useless, so its supervisor never restarts it.
package struct DescriptorWatch: Sendable {
    package enum Verdict: Sendable, Equatable {
        case healthy
        case exhausted(String)
        /// Exhausted on enough checks in a row: exit so that the supervisor restarts us.
        case exit(String)
    }

    package let checksBeforeExit: Int
    /// Consecutive checks that saw exhaustion.
    package private(set) var exhaustedChecks = 0

    package init(checksBeforeExit: Int = 2) {
        self.checksBeforeExit = max(1, checksBeforeExit)
    }

    package mutating func record(_ usage: DescriptorUsage) -> Verdict {
        guard let problem = usage.problem else {
            exhaustedChecks = 0
            return .healthy
        }
        exhaustedChecks += 1
        return exhaustedChecks >= checksBeforeExit ? .exit(problem) : .exhausted(problem)
    }
}
