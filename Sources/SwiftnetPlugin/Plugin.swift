import SwiftnetAddress
import Foundation
import Logging
import SwiftnetBridge
import SwiftnetDiagnosis
import SwiftnetFirewall
import SwiftnetIPAM
import SwiftnetKernel
import SwiftnetLANModel
import SwiftnetOperator
import SwiftnetOverlay
import SwiftnetStore
import Synchronization

/// One state file opened for work: its lock, store, IPAM and driver (with its modes; the
/// multi-host one when started with etcd), and the operator questions asked of them.
/// `PluginServer` serves one over the socket; the CLI opens one itself when no server runs, so
/// `ls`, `doctor` and `gc` give the same answers either way.
package final class Plugin: Sendable {
    package static let version = "0.2.0"
    /// The meta key recording the chain prefix the server last ran with, so that tools run
    /// while it is down check the right chains.
    static let chainPrefixKey = "chain_prefix"

    package let statePath: String
    package let chainPrefix: String
    package let bootID: String
    package let ipam: IPAMService
    package let driver: SwiftnetDriver
    /// Multi-host networks (`swiftnet serve --etcd-endpoints`); nil without etcd.
    package let multiHost: MultiHost?
    package let multiHostIPAM: MultiHostIPAM?
    let store: StateStore
    private let lock: StateLock
    /// This process's hold on `chainPrefix` (see `ChainsLock`): a server's from its start, a
    /// tool's once it is about to change the firewall (`ownChains`).
    private let ownedChains: Mutex<ChainsLock?>
    private let logger: Logger

    /// The chain prefix the state's server last ran with (nil: none recorded yet).
    package var recordedChainPrefix: String? { try? store.metaValue(Plugin.chainPrefixKey) }

    /// `chainPrefix` nil: the one the state's server last used (or the default). A server
    /// passes its own and records it.
    package init(statePath: String, chainPrefix: String?, localPools: [PoolBase]? = nil, globalPools: [PoolBase]? = nil,
                recordChainPrefix: Bool, multiHost settings: MultiHostSettings? = nil, logger: Logger) throws {
        self.statePath = statePath
        self.logger = logger
        // A server takes its chains before it opens (or creates) its state: refused because
        // another server owns them, it leaves no trace.
        var owned: ChainsLock?
        if recordChainPrefix, let chainPrefix {
            do {
                owned = try ChainsLock(prefix: chainPrefix)
            } catch {
                // Most often the same server holds both: its state is the clearer thing to name.
                try StateLock.refuseIfHeld(statePath: statePath)
                throw error
            }
        }
        lock = try StateLock(statePath: statePath)
        store = try StateStore(path: statePath)
        let prefix = try chainPrefix ?? store.metaValue(Plugin.chainPrefixKey) ?? "SWIFTNET"
        self.chainPrefix = prefix
        if recordChainPrefix, owned == nil { owned = try ChainsLock(prefix: prefix) }
        ownedChains = Mutex(owned)
        if recordChainPrefix, let previous = try store.metaValue(Plugin.chainPrefixKey), previous != prefix {
            Plugin.removeChains(ofPreviousPrefix: previous, logger: logger)
        }
        if recordChainPrefix, try store.metaValue(Plugin.chainPrefixKey) != prefix {
            try store.setMetaValue(Plugin.chainPrefixKey, prefix)
        }
        let ulaGlobalID = try store.ulaGlobalID()
        let configuration = Plugin.ipamConfiguration(localPools: localPools, globalPools: globalPools, ulaGlobalID: ulaGlobalID)
        let links = try LinkManager()
        let probe = LANAddressProbe(links: links)
        ipam = try IPAMService(configuration: configuration, store: store, routes: RouteReader(), probe: probe)
        bootID = Plugin.currentBootID()
        let dataplane = KernelDataplane(links: links, instanceID: try store.instanceID())
        let bridge = BridgeMode(dataplane: dataplane, logger: logger)
        let lanDataplane = KernelLANDataplane(links: dataplane.links, group: dataplane.group)
        var overlay: OverlayMode?
        if let settings {
            let multiHost = try MultiHost(settings: settings, logger: logger)
            let multiHostIPAM = try MultiHostIPAM(multiHost: multiHost, store: store, logger: logger)
            self.multiHost = multiHost
            self.multiHostIPAM = multiHostIPAM
            overlay = OverlayMode(bridge: bridge, multiHost: multiHost,
                                  poolNetwork: { [multiHostIPAM] in multiHostIPAM.networkName(forSubnet: $0) }, logger: logger)
        } else {
            multiHost = nil
            multiHostIPAM = nil
        }
        let modes = DriverModes(bridge: bridge,
                                macvlan: LANMode(.macvlan, dataplane: lanDataplane, logger: logger),
                                ipvlan: LANMode(.ipvlan, dataplane: lanDataplane, logger: logger),
                                overlay: overlay)
        driver = try SwiftnetDriver(store: store, modes: modes,
                                    links: dataplane, firewall: IptablesFirewall(firewall: Plugin.firewall(prefix: prefix, logger: logger)),
                                    hostPorts: SocketPortProbe(), bootID: bootID, logger: logger)
        probe.attach(driver)
        ipam.consult(DriverAddressHolders(driver: driver))
    }

    /// A server started on this state with another `--chain-prefix` than the last: the old
    /// prefix's chains would go on publishing this state's ports (to addresses that may belong
    /// to other containers by now) and nothing would ever render them again.
    static func removeChains(ofPreviousPrefix previous: String, logger: Logger) {
        guard (try? FirewallChains(prefix: previous)) != nil else {
            logger.warning("the state records a chain prefix that is not one; its chains, if any, are left", metadata: ["previous": "\(previous)"])
            return
        }
        // Another server may have taken the prefix since (its chains are its own now).
        let previousChains: ChainsLock
        do {
            previousChains = try ChainsLock(prefix: previous)
        } catch {
            logger.notice("the chains of the chain prefix this state's server last used are left: \(error)", metadata: ["previous": "\(previous)"])
            return
        }
        defer { withExtendedLifetime(previousChains) {} }
        do {
            try Firewall(prefix: previous).remove()
            logger.notice("removed the chains of the chain prefix this state's server last used", metadata: ["previous": "\(previous)"])
        } catch {
            logger.warning("could not remove the chains of the chain prefix this state's server last used; run swiftnet remove-firewall --chain-prefix \(previous)",
                           metadata: ["previous": "\(previous)", "error": "\(error)"])
        }
    }

    /// Takes `chainPrefix` for this process, before a tool changes the firewall (`doctor
    /// --fix`, `gc` on the state file): refused while a server owns it, whose rules the
    /// change would otherwise replace with this state's. A server holds it from its start.
    package func ownChains() throws(ChainsLockError) {
        try ownedChains.withLock { owned throws(ChainsLockError) in
            if owned == nil { owned = try ChainsLock(prefix: chainPrefix) }
        }
    }

    /// Lets go of `chainPrefix` (its lock file goes with it): the server's last step when it
    /// stops, since the process then exits without tearing this object down.
    package func releaseChains() {
        ownedChains.withLock { $0 = nil }
    }

    /// The firewall, logging a refused patch (the chains are then read and restored whole).
    static func firewall(prefix: String, logger: Logger) -> Firewall {
        Firewall(prefix: prefix) { family, error in
            // Most often something else changed our chains (a -D found no rule), but any refused
            // restore lands here (a missing tool, a lock held too long), so it claims neither.
            logger.warning("a patch of the \(family) firewall chains was refused; reading them and restoring them whole",
                           metadata: ["refused": "\(error)"])
        }
    }

    /// The server's start, after reconciliation: records it, and after an unclean stop of the
    /// previous server tells the IPAM which answers that server committed in its last
    /// `RetryCandidates.window` seconds (and after its own start), so that a request it never
    /// answered gets the same answer once instead of a second allocation. Returns how many.
    @discardableResult
    package func beginServing(now: Int = Int(Date().timeIntervalSince1970)) throws -> Int {
        let previous = try store.beginServing(at: now)
        guard !previous.stoppedCleanly else { return 0 }
        let since = max(previous.startedAt ?? 0, now - RetryCandidates.window)
        let candidates = try store.loadRetryCandidates(since: since)
        // An address an endpoint holds was answered (the IPAM asks the driver, `consult`).
        // Without swiftnet's network driver (`-d bridge --ipam-driver swiftnet`) there are no
        // endpoints: the stop, the window and the once-only rule are what keep a second
        // container off the address.
        ipam.expectRetries(candidates)
        return candidates.count
    }

    /// The server has stopped answering: nothing it committed can come back as a retry.
    package func recordCleanStop(now: Int = Int(Date().timeIntervalSince1970)) {
        do {
            try store.recordCleanStop(at: now)
        } catch {
            logger.warning("could not record the clean stop; the next start treats it as a crash", metadata: ["error": "\(error)"])
        }
    }

    /// Start-up reconciliation (and `doctor --fix`): the driver's repairs, then the addresses
    /// of the endpoints it freed back to their pools (a network's pool and gateway never go;
    /// sticky names still get their address back), then addresses no endpoint holds.
    package func reconcile() -> [Repair] {
        let reconciliation = driver.reconcile()
        return reconciliation.repairs + release(reconciliation.freed) + releaseLeakedAddresses()
    }

    /// `MultiHostIPAM.settle` as repairs (none without etcd), for `doctor --fix`. The server
    /// settles in the background at its start and after each call etcd failed (`PluginServer`):
    /// its start must not wait for an etcd that does not answer.
    private func settleMultiHostClaims() -> [Repair] {
        guard let multiHostIPAM else { return [] }
        do {
            return Plugin.repairs(of: try multiHostIPAM.settle(inUse: multiHostAddressInUse))
        } catch {
            return [.failed("multi-host claims", "compare this host's claims with etcd", error)]
        }
    }

    private static func repairs(of settlement: MultiHostIPAM.Settlement) -> [Repair] {
        settlement.released.map { Repair(subject: "address \($0)", action: "released \($0) in etcd: no answered claim here held it") }
            + settlement.dropped.map { Repair(subject: "address \($0)", action: "forgot \($0): etcd no longer has this host's claim") }
            + settlement.reclaimed.map { Repair(subject: "address \($0)", action: "claimed \($0) in etcd again: a container here uses it") }
            + settlement.conflicts.map { .failed("address \($0)", "claim \($0) again for the container here that uses it",
                                                 MultiHostIPAMError.invalid("two containers share the address; remove one of them")) }
    }

    /// Whether an endpoint of this host's network on logical network `network` uses `address`.
    package var multiHostAddressInUse: MultiHostIPAM.EndpointUse {
        { [driver] network, address in
            let records = driver.records
            let ids = Set(records.networks.filter { $0.options.multiHostNetwork == network }.map(\.id))
            return records.endpoints.contains { ids.contains($0.networkID) && $0.address?.address == address }
        }
    }

    /// The phase of `reconcile` after the driver's: addresses no endpoint holds that are at
    /// least `leakMinimumAge` old go back to their pools.
    private func releaseLeakedAddresses() -> [Repair] {
        do {
            let found = try leakedAddresses(minimumAge: Plugin.leakMinimumAge)
            return found.leaks.map { release($0, cutoff: found.cutoff).repair }
        } catch {
            return [.failed("addresses", "look for addresses no endpoint holds", error)]
        }
    }

    /// How old (seconds) an address no endpoint holds must be before it counts as leaked:
    /// dockerd asks for an address just before it creates the endpoint that holds it.
    package static let leakMinimumAge = 60

    /// `swiftnet gc`: endpoints whose container is gone, then addresses no endpoint holds
    /// that are at least `minimumAge` seconds old.
    package func collectGarbage(dryRun: Bool, minimumAge: Int = Plugin.leakMinimumAge) -> GarbageReport {
        // An endpoint being deleted holds its address until its batch of veths goes (a few
        // ms); a CLI with no server would otherwise exit before its own batch went.
        driver.drain()
        let (freed, endpointFailures) = driver.collectGarbage(dryRun: dryRun)
        var failures = endpointFailures
        if !dryRun {
            for repair in release(freed) {
                if repair.succeeded { logger.notice("gc: \(repair.line)") } else { failures.append(repair) }
            }
        }
        // After the endpoints: their addresses are released (or, in a dry run, still held).
        var leaks: [LeakedAddress] = []
        do {
            let found = try leakedAddresses(minimumAge: minimumAge)
            for leak in found.leaks {
                if dryRun {
                    leaks.append(leak)
                    continue
                }
                let (repair, released) = release(leak, cutoff: found.cutoff)
                if released {
                    leaks.append(leak)
                    logger.notice("gc: \(repair.line)", metadata: ["network": "\(leak.networkID.prefix(12))"])
                } else if !repair.succeeded {
                    failures.append(repair)
                }
            }
        } catch {
            failures.append(.failed("addresses", "look for addresses no endpoint holds", error))
        }
        for failure in failures { logger.error("gc: \(failure.line)") }
        for item in freed {
            logger.notice(dryRun ? "gc would free an endpoint" : "gc freed an endpoint",
                          metadata: ["endpoint": "\(item.endpoint.id.prefix(12))", "network": "\(item.endpoint.networkID.prefix(12))",
                                     "reason": "\(item.reason)"])
        }
        return GarbageReport(dryRun: dryRun, freed: freed.map { item in
            GarbageReport.Freed(endpointID: item.endpoint.id, networkID: item.endpoint.networkID, hostVeth: item.endpoint.hostVeth,
                                addresses: [item.endpoint.address, item.endpoint.addressIPv6].compactMap { $0?.address.description },
                                reason: item.reason)
        }, addresses: leaks, minimumAge: minimumAge, errors: failures.map(\.line))
    }

    /// The driver's findings, and the addresses no endpoint holds.
    package func diagnose() throws -> DoctorReport {
        // Endpoints being deleted (their veths wait a few ms to go in one batch) are not drift.
        driver.drain()
        var report = try driver.diagnose()
        let age = Plugin.leakMinimumAge
        report.findings += Diagnosis.findings(leaked: try leakedAddresses(minimumAge: age).leaks, minimumAge: age)
        // The overlay's findings asked etcd already: when it did not answer, nothing more to ask.
        if !report.findings.contains(where: { $0.kind == .etcdUnreachable }) {
            report.findings += multiHostClaimFindings()
        }
        return report
    }

    /// Endpoints of multi-host networks whose address etcd does not hold for this host (one
    /// read of etcd per network; the caller asks only when the overlay found etcd answering).
    /// Endpoints being deleted are left out: their address is released before their veth goes.
    func multiHostClaimFindings() -> [Finding] {
        guard let multiHost else { return [] }
        let records = driver.records
        var findings: [Finding] = []
        for network in records.networks where network.state == .ready {
            guard let name = network.options.multiHostNetwork,
                  let claims = try? multiHost.allocator.claims(in: name) else { continue }
            let holders = Dictionary(claims.map { ($0.address, $0.host) }, uniquingKeysWith: { first, _ in first })
            for endpoint in records.endpoints where endpoint.networkID == network.id && endpoint.state == .ready {
                guard let address = endpoint.address?.address, holders[address] != multiHost.settings.node else { continue }
                findings.append(Diagnosis.unclaimed(address: address, network: name, networkID: network.id, endpointID: endpoint.id,
                                                    holder: holders[address]))
            }
        }
        return findings
    }

    func leakedAddresses(minimumAge: Int) throws -> (leaks: [LeakedAddress], cutoff: Int) {
        let local = try localLeakedAddresses(minimumAge: minimumAge)
        return (local.leaks + (try multiHostLeakedAddresses(cutoff: local.cutoff)), local.cutoff)
    }

    /// Answered multi-host claims no endpoint of this host's overlay network holds (pools of
    /// networks other drivers made are never considered).
    func multiHostLeakedAddresses(cutoff: Int) throws -> [LeakedAddress] {
        guard let multiHostIPAM else { return [] }
        let claims = try multiHostIPAM.answeredClaims(before: cutoff)
        guard !claims.isEmpty else { return [] }
        let records = driver.records
        var leaks: [LeakedAddress] = []
        for claim in claims {
            guard let network = records.networks.first(where: { $0.state == .ready && $0.options.multiHostNetwork == claim.network }),
                  !records.endpoints.contains(where: { $0.networkID == network.id && $0.address?.address == claim.address })
            else { continue }
            leaks.append(LeakedAddress(poolID: claim.poolID, address: claim.address, networkID: network.id))
        }
        return leaks
    }

    func localLeakedAddresses(minimumAge: Int) throws -> (leaks: [LeakedAddress], cutoff: Int) {
        let ipam = ipam.snapshot()
        let pools = ipam.poolIDs.compactMap(ipam.pool)
        // Only pools of swiftnet networks: others' addresses are held by other drivers' endpoints.
        let subnets = Set(driver.networks.flatMap { $0.subnets.map(\.pool) })
        let candidates = pools.filter { $0.addressSpace == IPAMConfiguration.localSpace && subnets.contains($0.prefix) }.map(\.id)
        let cutoff = Int(Date().timeIntervalSince1970) - minimumAge
        guard !candidates.isEmpty else { return ([], cutoff) }
        // The store before the endpoints: an endpoint recorded after this read holds a younger
        // address (or one handed out again, whose time `requestAddress` refreshed).
        let collectable = try store.collectableAllocations(inPools: candidates, allocatedBefore: cutoff)
        guard !collectable.isEmpty else { return ([], cutoff) }
        let records = driver.records
        return (LeakedAddress.find(collectable: collectable, pools: pools, networks: records.networks, endpoints: records.endpoints), cutoff)
    }

    /// Releases a leaked address if it is still the allocation that was found (see
    /// `IPAMService.releaseLeaked`); returns the repair to report and whether it was released.
    private func release(_ leak: LeakedAddress, cutoff: Int) -> (repair: Repair, released: Bool) {
        let subject = "address \(leak.address)"
        do {
            let released: Bool
            if MultiHostIPAM.isMultiHost(poolID: leak.poolID), let multiHostIPAM {
                released = try multiHostIPAM.releaseLeaked(poolID: leak.poolID, address: leak.address, allocatedBefore: cutoff)
            } else {
                released = try ipam.releaseLeaked(poolID: leak.poolID, address: leak.address, allocatedBefore: cutoff)
            }
            if released {
                return (Repair(subject: subject, action: "released \(leak.address) in pool \(leak.poolID): no endpoint held it"), true)
            }
            return (Repair(subject: subject, action: "left \(leak.address) in pool \(leak.poolID): released or handed out again meanwhile"), false)
        } catch {
            return (.failed(subject, "release \(leak.address) in pool \(leak.poolID)", error), false)
        }
    }

    /// `swiftnet doctor --fix`: the findings, the reconciliation, and the findings after it.
    package func repair() throws -> DoctorReport {
        let before = try diagnose().findings
        let repairs = reconcile() + settleMultiHostClaims()
        var after = try diagnose()
        after.before = before
        after.repairs = repairs
        return after
    }

    package func stateView(running: Bool) -> StateView {
        let records = driver.records
        var view = StateView(server: ServerInfo(version: Plugin.version, running: running, statePath: statePath,
                                            chainPrefix: chainPrefix, linkGroup: driver.linkGroup, bootID: bootID),
                         ipam: ipam.snapshot(), networks: records.networks, endpoints: records.endpoints)
        // Without them (the state file unreadable) the view is still shown; `gc --docker`
        // then leaves everything alone, as it does for anything of unknown age.
        if let created = try? store.creationTimes() {
            for index in view.networks.indices { view.networks[index].createdAt = created.networks[view.networks[index].id] }
            for index in view.pools.indices { view.pools[index].createdAt = created.pools[view.pools[index].id] }
            for index in view.endpoints.indices { view.endpoints[index].createdAt = created.endpoints[view.endpoints[index].id] }
        }
        // From the state file, so that a server without etcd and the CLI show them too.
        if let pools = try? store.multiHostPools(), !pools.isEmpty {
            let claims = (try? store.multiHostClaims()) ?? []
            view.addMultiHostPools(pools.map { pool in
                StateView.MultiHostPool(poolID: pool.poolID, network: pool.network, subnet: pool.subnet,
                                        claimed: claims.filter { $0.network == pool.network && $0.address.map(pool.subnet.contains) == true }.count)
            })
        }
        view.remoteEndpoints = (multiHost?.watcher.entries ?? []).map { location in
            RemoteEndpointView(network: location.network, address: location.address.description,
                               mac: MACAddress(bytes: location.mac)?.description ?? "?", host: location.host,
                               underlay: location.underlay.description)
        }
        return view
    }

    /// A cheap read through the store's queue: fails if the state file cannot be read.
    package func checkStore() throws {
        _ = try store.instanceID()
    }

    private func release(_ freed: [FreedEndpoint]) -> [Repair] {
        var repairs: [Repair] = []
        let networks = Dictionary(driver.networks.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for item in freed {
            let network = networks[item.endpoint.networkID]
            // A multi-host network's address is released in etcd, and its location withdrawn.
            if let name = network?.options.multiHostNetwork, let multiHost, let multiHostIPAM {
                guard let address = item.endpoint.address?.address else { continue }
                let subject = "address \(address)"
                do {
                    try? multiHost.membership.withdraw(network: name, address: address)
                    switch try multiHostIPAM.releaseAddress(poolID: MultiHostIPAM.poolPrefix + name, address: address.description) {
                    case .released:
                        repairs.append(Repair(subject: subject, action: "released \(address) of a gone endpoint in multi-host network \(name)"))
                    case .pending:
                        repairs.append(Repair(subject: subject, action: "released \(address) of a gone endpoint in multi-host network \(name) here; etcd gets it once it answers"))
                    case .notHeld:
                        break
                    }
                } catch {
                    repairs.append(.failed(subject, "release \(address) in multi-host network \(name)", error))
                }
                continue
            }
            // A macvlan/ipvlan network's pool may share its subnet with another LAN's, told
            // apart by `swiftnet.scope`: the parent's name.
            let scope = network.flatMap { $0.mode == .macvlan || $0.mode == .ipvlan ? $0.bridge : nil }
            for address in [item.endpoint.address, item.endpoint.addressIPv6].compactMap({ $0?.address }) {
                for subnet in network?.subnets.map(\.pool) ?? [] where subnet.contains(address) {
                    let subject = "address \(address)"
                    do {
                        if try ipam.release(address: address, inSubnet: subnet, scope: scope) {
                            repairs.append(Repair(subject: subject, action: "released \(address) of a gone endpoint in \(subnet)"))
                        }
                    } catch {
                        repairs.append(.failed(subject, "release \(address) in \(subnet)", error))
                    }
                }
            }
        }
        return repairs
    }

    static func ipamConfiguration(localPools: [PoolBase]?, globalPools: [PoolBase]?, ulaGlobalID: UInt64) -> IPAMConfiguration {
        let defaults = IPAMConfiguration.dockerDefaults(ulaGlobalID: ulaGlobalID)
        let ula = PoolBase.uniqueLocalV6(globalID: ulaGlobalID)
        // Given pools replace dockerd's for their family; a list without IPv6 keeps the ULA.
        func merge(_ given: [PoolBase]?, _ fallback: [PoolBase]) -> [PoolBase] {
            guard let given, !given.isEmpty else { return fallback }
            return given.contains(where: { $0.base.family == .v6 }) ? given : given + [ula]
        }
        return IPAMConfiguration(localBases: merge(localPools, defaults.localBases),
                                 globalBases: merge(globalPools, defaults.globalBases))
    }

    /// This boot's id: endpoints recorded under another one are from before a reboot.
    static func currentBootID() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "unknown"
    }
}
