import SwiftnetDiagnosis

/// The links of the host's namespace as the kernel has them: what reconciliation, `gc` and the
/// doctor compare the records of every mode with.
package protocol LinkObserver: Sendable {
    /// Every link in the namespace, with the addresses of `addressesOf`.
    func observe(addressesOf links: Set<String>) throws -> [ObservedLink]
    /// The link group this server tags the links it makes with (per state file), so that the
    /// start-up sweep finds its own leftovers.
    var group: UInt32 { get }
}
