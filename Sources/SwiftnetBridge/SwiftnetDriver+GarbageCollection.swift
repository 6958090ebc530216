import Glibc
import SwiftnetDiagnosis
import SwiftnetNetworkModel

extension SwiftnetDriver {
    /// Endpoints whose container is gone: from an earlier boot (every namespace went with
    /// it), or whose links show it gone (see `NetworkMode.goneReason`). Unless `dryRun`, their
    /// records and links are deleted; the caller returns their addresses to the IPAM.
    func freeStaleEndpoints(in state: inout DriverState, links: [String: ObservedLink], dryRun: Bool)
        -> (freed: [FreedEndpoint], failures: [Repair]) {
        var freed: [FreedEndpoint] = []
        var failures: [Repair] = []
        for endpoint in state.endpoints.values.sorted(by: { $0.id < $1.id }) where endpoint.state == .ready {
            let mode = mode(of: endpoint, in: state)
            let reason: String
            if endpoint.bootID != bootID {
                reason = "recorded in an earlier boot"
            } else if let gone = mode.goneReason(endpoint, links: links, now: Int(time(nil))) {
                reason = gone
            } else {
                continue
            }
            if dryRun {
                freed.append(FreedEndpoint(endpoint: endpoint, reason: reason))
                continue
            }
            do {
                try mode.deleteEndpointLinks(endpoint)
                try store.commit(.deleteEndpoint(id: endpoint.id))
                state.endpoints[endpoint.id] = nil
                freed.append(FreedEndpoint(endpoint: endpoint, reason: reason))
            } catch {
                failures.append(.failed(Repair.endpoint(endpoint.id), "free endpoint \(endpoint.id.prefix(12))", error))
            }
        }
        return (freed, failures)
    }

    /// `swiftnet gc`: frees the endpoints whose container is gone (see `freeStaleEndpoints`)
    /// and re-renders the firewall without their published ports. `failures`: what could not
    /// be done.
    package func collectGarbage(dryRun: Bool) -> (freed: [FreedEndpoint], failures: [Repair]) {
        state.withLock { state in
            let links: [String: ObservedLink]
            do {
                links = try observeLinks()
            } catch {
                return ([], [.failed("links", "list the links", error)])
            }
            var (freed, failures) = freeStaleEndpoints(in: &state, links: links, dryRun: dryRun)
            if !dryRun, freed.contains(where: { !$0.endpoint.publishedPorts.isEmpty }) {
                do {
                    try applyFirewall(state)
                } catch {
                    failures.append(.failed(Repair.firewall, "program the firewall", error))
                }
            }
            return (freed, failures)
        }
    }
}
