import SwiftnetOperator

extension BridgeDriver {
    /// The doctor's findings: the records compared with the kernel's links and addresses and
    /// with the installed firewall, under the driver's lock so no call changes either meanwhile.
    public func diagnose() throws -> DoctorReport {
        try state.withLock { state in
            let networks = Array(state.networks.values)
            let endpoints = Array(state.endpoints.values)
            let links = try dataplane.observe(addressesOf: Set(networks.map(\.bridge)))
            let (drift, rules) = try firewall.drift(networks: networks, endpoints: endpoints)
            let findings = Diagnosis.findings(networks: networks, endpoints: endpoints, links: links, firewall: drift,
                                              bootID: bootID, linkGroup: dataplane.group)
            return DoctorReport(findings: findings,
                                checked: .init(networks: networks.count, endpoints: endpoints.count, links: links.count, rules: rules))
        }
    }
}
