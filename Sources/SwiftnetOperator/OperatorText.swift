import SwiftnetDiagnosis

/// The human-readable output of the operator commands (their `--json` output is the views'
/// `json`). Pure: the CLI prints what these return.
package enum OperatorText {
    /// `swiftnet ls`.
    package static func list(_ view: StateView) -> String {
        guard !view.networks.isEmpty else { return "no swiftnet networks\n" }
        var table = TextTable(["NETWORK", "BRIDGE", "SUBNETS", "GATEWAYS", "ENDPOINTS", "MODE", "OPTIONS"])
        for network in view.networks {
            table.add([
                network.shortID + (network.state == "ready" ? "" : " (\(network.state))"),
                network.bridge,
                dashIfEmpty(network.subnets.map(\.prefix).joined(separator: ",")),
                dashIfEmpty(network.subnets.compactMap(\.gateway).joined(separator: ",")),
                "\(network.endpointCount)/\(network.capacity ?? "?")",
                network.mode,
                dashIfEmpty(options(network)),
            ])
        }
        return table.text
    }

    /// `swiftnet inspect`.
    package static func inspect(_ view: StateView, network: NetworkView) -> String {
        var lines = [
            "Network:   \(network.id)",
            (network.isStackedOnParent ? "Parent:    " : "Bridge:    ") + network.bridge,
            "State:     \(network.state)",
            "Mode:      \(network.mode)\(network.ipv6 ? ", IPv6" : "")",
            "MTU:       \(network.mtu.map(String.init) ?? "default")",
            "Options:   \(dashIfEmpty(options(network)))",
            "Subnets:",
        ]
        for subnet in network.subnets {
            lines.append("  \(subnet.prefix)  gateway \(subnet.gateway ?? "none")  pool \(subnet.poolID ?? "(not swiftnet's)")")
        }
        let pools = view.pools(of: network)
        if !pools.isEmpty {
            lines.append("Pools:")
            for pool in pools {
                lines.append("  \(pool.id)  \(pool.prefix)  \(pool.allocated)/\(pool.capacity) allocated\(rangeText(pool)) (\(percent(pool.utilisation)))")
            }
        }
        let endpoints = view.endpoints(of: network)
        lines.append("Endpoints: \(endpoints.count)")
        var text = lines.joined(separator: "\n") + "\n"
        if !endpoints.isEmpty {
            var table = TextTable(["  ENDPOINT", "CONTAINER", "ADDRESS", "MAC", "VETH", "PUBLISHED", "BOOT", "STATE"])
            for endpoint in endpoints {
                table.add([
                    "  " + endpoint.shortID, endpoint.containerName ?? "-",
                    dashIfEmpty([endpoint.address, endpoint.addressIPv6].compactMap { $0 }.joined(separator: ",")),
                    endpoint.mac, endpoint.hostVeth, dashIfEmpty(endpoint.published.joined(separator: ",")),
                    String(endpoint.bootID.prefix(8)) + (endpoint.bootID == view.server.bootID ? "" : " (earlier boot)"),
                    endpoint.state,
                ])
            }
            text += table.text
        }
        if let name = network.options["swiftnet.network"] {
            let remote = view.remoteEndpoints(of: network)
            text += "Multi-host: \(name) (VNI \(network.options["swiftnet.vni"] ?? "?")), remote endpoints: \(remote.count)\n"
            if !remote.isEmpty {
                var table = TextTable(["  ADDRESS", "MAC", "HOST", "UNDERLAY"])
                for endpoint in remote { table.add(["  " + endpoint.address, endpoint.mac, endpoint.host, endpoint.underlay]) }
                text += table.text
            }
        }
        return text
    }

    /// The `--ip-range` and how full it is: what USED is then counted against.
    static func rangeText(_ pool: PoolView, short: Bool = false) -> String {
        guard let subPool = pool.subPool, let allocated = pool.rangeAllocated, let capacity = pool.rangeCapacity else { return "" }
        return short ? " (\(allocated)/\(capacity))" : ", range \(subPool) \(allocated)/\(capacity)"
    }

    /// `swiftnet pools`.
    package static func pools(_ view: StateView) -> String {
        guard !view.pools.isEmpty else { return "no pools\n" }
        let networks = Dictionary(view.networks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var table = TextTable(["POOL", "SPACE", "PREFIX", "RANGE", "ALLOCATED", "CAPACITY", "USED", "NETWORK"])
        for pool in view.pools {
            table.add([pool.id, pool.addressSpace, pool.prefix, pool.subPool.map { $0 + rangeText(pool, short: true) } ?? "-",
                       String(pool.allocated), pool.capacity,
                       percent(pool.utilisation),
                       pool.networkID.map { networks[$0].map { "\($0.shortID) (\($0.bridge))" } ?? String($0.prefix(12)) } ?? "-"])
        }
        return table.text
    }

    /// `swiftnet doctor`.
    package static func doctor(_ report: DoctorReport) -> String {
        var text = ""
        if let before = report.before {
            text += before.isEmpty ? "nothing to repair\n" : "found \(before.count) difference\(before.count == 1 ? "" : "s")\n"
            for repair in report.repairs { text += "\(repair.succeeded ? "repaired" : "failed"): \(repair.line)\n" }
        }
        let checked = report.checked
        let summary = [count(checked.networks, "network"), count(checked.endpoints, "endpoint"), count(checked.links, "link"),
                       count(checked.rules, "firewall rule")].joined(separator: ", ")
        if report.findings.isEmpty {
            return text + "ok: state and kernel agree (\(summary))\n"
        }
        text += "\(report.findings.count) difference\(report.findings.count == 1 ? "" : "s") between state and kernel (\(summary)):\n"
        for finding in report.findings {
            text += "\n[\(finding.kind.rawValue)] \(finding.problem)\n"
            text += "  means:  \(finding.meaning)\n"
            text += "  repair: \(finding.repair)\n"
        }
        return text
    }

    /// `swiftnet gc`.
    package static func garbage(_ report: GarbageReport) -> String {
        let errors = report.errors.map { "error: \($0)" }
        guard !report.freed.isEmpty || !report.addresses.isEmpty else {
            return (errors + ["nothing \(errors.isEmpty ? "" : "else ")to free"]).joined(separator: "\n") + "\n"
        }
        let verb = report.dryRun ? "would free" : "freed"
        let endpoints = report.freed.map { item in
            "\(verb) endpoint \(item.endpointID.prefix(12)) of network \(item.networkID.prefix(12)) (\(item.hostVeth)): "
                + "\(item.reason); address\(item.addresses.count == 1 ? "" : "es") \(dashIfEmpty(item.addresses.joined(separator: ", ")))"
        }
        let addresses = report.addresses.map { item in
            "\(verb) address \(item.address) in pool \(item.poolID) of network \(item.networkID.prefix(12)): "
                + "handed out \(report.minimumAge) s ago or more, held by no endpoint"
        }
        return (endpoints + addresses + errors).joined(separator: "\n") + "\n"
    }

    /// `gc --docker`'s report of what Docker no longer has: a line per network, endpoint and
    /// pool (gc's own report follows it).
    package static func forgottenByDocker(_ forgotten: ForgottenByDocker, dryRun: Bool, errors: [String]) -> String {
        let errorLines = errors.map { "error: \($0)" }
        guard !forgotten.isEmpty else {
            return (errorLines + ["Docker has every swiftnet network, endpoint and pool old enough to tell"]).joined(separator: "\n") + "\n"
        }
        let endpointLines = forgotten.endpoints.map { endpoint in
            "\(dryRun ? "would delete" : "deleted") endpoint \(endpoint.shortID) of network \(endpoint.networkID.prefix(12)) "
                + "(\(endpoint.hostVeth)): Docker's network has no endpoint with its id"
        }
        let networkLines = forgotten.networks.map { network in
            "\(dryRun ? "would delete" : "deleted") network \(network.shortID) (\(network.bridge), "
                + "\(dashIfEmpty(network.subnets.map(\.prefix).joined(separator: ", ")))): Docker has no network with its id"
        }
        let poolLines = forgotten.pools.map { pool in
            "\(dryRun ? "would release" : "released") pool \(pool.id): no Docker network has subnet \(pool.prefix)"
        }
        return (endpointLines + networkLines + poolLines + errorLines).joined(separator: "\n") + "\n"
    }

    static func options(_ network: NetworkView) -> String {
        network.options.sorted { $0.key < $1.key }
            .filter { $0.key != "com.docker.network.bridge.name" }
            .map { "\($0.key.replacingPrefix("com.docker.network.", with: ""))=\($0.value)" }
            .joined(separator: ",")
    }

    static func percent(_ fraction: Double) -> String {
        let value = (fraction * 1000).rounded() / 10
        return value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }

    static func count(_ number: Int, _ noun: String) -> String {
        "\(number) \(noun)\(number == 1 ? "" : "s")"
    }

    static func dashIfEmpty(_ text: String) -> String { text.isEmpty ? "-" : text }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
