import SwiftnetDiagnosis

extension BridgeDriver {
    /// The doctor's findings: the records compared with the kernel's links and addresses and
    /// with the installed firewall, under the driver's lock so no call changes either meanwhile.
    package func diagnose() throws -> DoctorReport {
        try state.withLock { state in
            let networks = Array(state.networks.values)
            let endpoints = Array(state.endpoints.values)
            let links = try dataplane.observe(addressesOf: Set(networks.map(\.bridge)))
            // A bridge name taken by someone else's link gets no rules (see
            // `State.firewallRecords`), whether or not a reconciliation has seen it yet.
            let byName = Dictionary(links.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            var rendered = state
            for network in networks where byName[network.bridge].map({ !$0.isBridge(madeBy: dataplane.group) }) == true {
                rendered.takenBridges.insert(network.id)
            }
            let records = rendered.firewallRecords
            let (drift, rules) = try firewall.drift(networks: records.networks, endpoints: records.endpoints)
            let findings = Diagnosis.findings(networks: networks, endpoints: endpoints, links: links, firewall: drift,
                                              bootID: bootID, linkGroup: dataplane.group)
                + Diagnosis.findings(networks: networks, bridgeNetfilter: dataplane.bridgeNetfilterStatus())
            return DoctorReport(findings: findings,
                                checked: .init(networks: networks.count, endpoints: endpoints.count, links: links.count, rules: rules))
        }
    }
}
