import SwiftnetDiagnosis

extension SwiftnetDriver {
    /// The doctor's findings: the records compared with the kernel's links and addresses (by
    /// each network's mode) and with the installed firewall, under the driver's lock so no call
    /// changes either meanwhile.
    package func diagnose() throws -> DoctorReport {
        try state.withLock { state in
            let networks = Array(state.networks.values)
            let endpoints = Array(state.endpoints.values)
            var addressed: Set<String> = []
            for mode in modes.all { addressed.formUnion(mode.addressedLinks(of: state.records(of: mode.driverMode).networks)) }
            let observed = try links.observe(addressesOf: addressed)
            let byName = Dictionary(observed.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            // A network whose link is someone else's gets no rules, whether or not a
            // reconciliation has seen it yet.
            let records = firewallRecords(state, links: byName)
            let (drift, rules) = try firewall.drift(networks: records.networks, endpoints: records.endpoints)
            var findings: [Finding] = []
            let owned = ownedLinks(state)
            for mode in modes.all {
                let own = state.records(of: mode.driverMode)
                findings += mode.findings(networks: own.networks, endpoints: own.endpoints, links: observed, owned: owned, bootID: bootID)
            }
            findings += Diagnosis.findings(firewall: drift, networks: networks)
            return DoctorReport(findings: findings,
                                checked: .init(networks: networks.count, endpoints: endpoints.count, links: observed.count, rules: rules))
        }
    }
}
