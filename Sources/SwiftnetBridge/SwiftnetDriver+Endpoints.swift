import Glibc
import Dispatch
import SwiftnetAddress
import SwiftnetCrashPoints
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel
import SwiftnetLANModel

extension SwiftnetDriver {
    package struct EndpointRequest: Sendable {
        package var networkID: String
        package var endpointID: String
        package var address: String
        package var addressIPv6: String
        package var macAddress: String
        package var options: JSONObject?

        package init(networkID: String, endpointID: String, address: String, addressIPv6: String,
                    macAddress: String, options: JSONObject?) {
            self.networkID = networkID
            self.endpointID = endpointID
            self.address = address
            self.addressIPv6 = addressIPv6
            self.macAddress = macAddress
            self.options = options
        }
    }

    static let macOptionKey = "com.docker.network.endpoint.macaddress"

    /// Each address in a subnet of the network, of its field's family, none the network holds
    /// itself, and no other endpoint's there: dockerd's IPAM answers never break this; another
    /// IPAM, a hand-made or mixed-up request, or a gateway released by hand could.
    static func checkAddresses(_ address: InterfaceAddress?, _ addressIPv6: InterfaceAddress?, endpointID: String,
                               on network: NetworkRecord, in state: DriverState) throws {
        for (value, family, field) in [(address, IPFamily.v4, "Interface.Address"), (addressIPv6, IPFamily.v6, "Interface.AddressIPv6")] {
            guard let value else { continue }
            guard value.address.family == family, let subnet = network.subnets.first(where: { $0.pool.contains(value.address) }) else {
                throw DriverError.addressNotInNetwork("\(field) \(value)", network: network.id,
                                                      subnets: network.subnets.map(\.pool.description).joined(separator: ", "))
            }
            if let role = SwiftnetDriver.networksOwnRole(of: value.address, in: subnet, of: network) {
                throw DriverError.addressReserved(value.address.description, network: network.id, as: role)
            }
            if let other = state.endpoints.addressHolder(value.address, on: network.id), other != endpointID {
                throw DriverError.addressInUse(value.address.description, network: network.id, by: other)
            }
        }
    }

    /// What of the network's own `address` is in `subnet`, if any: its gateway, the host
    /// shim's, or an address the IPAM never hands out (network and broadcast of IPv4 shorter
    /// than /31, IPv6's subnet-router anycast), which a container cannot use either.
    static func networksOwnRole(of address: IPAddress, in subnet: NetworkSubnet, of network: NetworkRecord) -> String? {
        if subnet.gateway == address { return "the network's gateway" }
        if network.hostShim?.address == address { return "the host shim's (swiftnet.host_shim)" }
        let pool = subnet.pool
        if address == pool.network, address.family == .v6 || pool.length < 31 {
            return address.family == .v4 ? "the network address of \(pool)" : "the subnet-router anycast address of \(pool)"
        }
        if address.family == .v4, pool.length < 31, address == pool.last { return "the broadcast address of \(pool)" }
        return nil
    }

    /// Creates the endpoint's links. Returns the MAC to report, or nil when dockerd chose it.
    package func createEndpoint(_ request: EndpointRequest) throws -> MACAddress? {
        let address = try SwiftnetDriver.interfaceAddress(request.address, field: "Interface.Address")
        let addressIPv6 = try SwiftnetDriver.interfaceAddress(request.addressIPv6, field: "Interface.AddressIPv6")
        let requestedPorts = try PortBindingRequest.list(from: request.options)
        let (wantedMAC, fromDocker) = try SwiftnetDriver.chooseMAC(request, address: address?.address ?? addressIPv6?.address)
        var mac = wantedMAC
        var names = EndpointLinkNames(host: "", container: "")

        let result: MACAddress? = try state.withLock { state in
            guard let network = state.networks[request.networkID] else { throw DriverError.unknownNetwork(request.networkID) }
            let mode = modes[network]
            names = try mode.endpointLinkNames(endpointID: request.endpointID)
            // A repeat changes nothing, so it is answered before the mode's refusals (a full
            // bridge must not refuse the endpoint already on it).
            if let existing = state.endpoints[request.endpointID] {
                guard existing.address == address, existing.addressIPv6 == addressIPv6, existing.networkID == network.id else {
                    throw DriverError.endpointExists(request.endpointID)
                }
                return existing.macFromDocker || !mode.takesMAC(on: network) ? nil : existing.mac
            }
            try mode.admitEndpoint(on: network, records: state, requestsMAC: fromDocker && !request.macAddress.isEmpty)
            try SwiftnetDriver.checkAddresses(address, addressIPv6, endpointID: request.endpointID, on: network, in: state)
            // Link names carry 11 hex digits of the id: two ids that share them would share
            // the links (and a roll-back would take the other's). Refused before any change.
            if let other = state.endpoints.linkOwner(host: names.host, container: names.container, except: request.endpointID) {
                throw DriverError.vethNameInUse(names.host, endpointID: request.endpointID, by: other)
            }
            // Two endpoints of one network with one MAC cannot reach each other (each bridge
            // port learns the other's frames): every endpoint gets its own.
            let takesMAC = mode.takesMAC(on: network)
            if takesMAC, state.endpoints.macInUse(mac, on: network.id) {
                if fromDocker { throw DriverError.macInUse(mac.description, network: network.id) }
                mac = SwiftnetDriver.freeMAC(for: address?.address ?? addressIPv6?.address,
                                             avoiding: state.endpoints.macsInUse(on: network.id))
            }
            var endpoint = EndpointRecord(id: request.endpointID, networkID: network.id, hostVeth: names.host,
                                          containerVeth: names.container, address: address, addressIPv6: addressIPv6,
                                          mac: mac, macFromDocker: fromDocker, bootID: bootID, createdAt: Int(time(nil)),
                                          requestedPorts: requestedPorts, state: .creating)
            try store.commit(.putEndpoint(endpoint))
            CrashPoint.reach("endpoint.create.recorded")
            state.endpoints[endpoint.id] = endpoint
            var made = false
            do {
                try mode.createEndpointLinks(endpoint, on: network)
                made = true
                CrashPoint.reach("endpoint.create.veth")
                endpoint.state = .ready
                try store.commit(.putEndpoint(endpoint))
                state.endpoints[endpoint.id] = endpoint
            } catch {
                state.endpoints[endpoint.id] = nil
                // Only what this call made: a failed create leaves nothing, and a name that
                // was taken (interfaceExists) is someone else's link.
                if made { _ = try? mode.deleteEndpointLinks(endpoint) }
                try? store.commit(.deleteEndpoint(id: endpoint.id))
                throw error
            }
            // An interface that keeps its parent's MAC: dockerd must not be told to set another.
            return fromDocker || !takesMAC ? nil : mac
        }
        logger.info("CreateEndpoint", metadata: ["network": "\(request.networkID.prefix(12))",
                                                 "endpoint": "\(request.endpointID.prefix(12))", "veth": "\(names.host)",
                                                 "address": "\(address?.description ?? "-")", "mac": "\(mac)"])
        return result
    }

    /// dockerd's MAC when it gave one (`--mac-address`: text in Interface, base64 in options),
    /// else one derived from the address, so that the same address always has the same MAC.
    static func chooseMAC(_ request: EndpointRequest, address: IPAddress?) throws -> (MACAddress, fromDocker: Bool) {
        if !request.macAddress.isEmpty {
            guard let mac = MACAddress(request.macAddress) else {
                throw NetworkModelError.invalidOption(key: "Interface.MacAddress", value: request.macAddress, expected: "a MAC address")
            }
            return (mac, true)
        }
        switch request.options?[macOptionKey] {
        case .string(let text)?:
            guard let mac = MACAddress(base64: text) ?? MACAddress(text) else {
                throw NetworkModelError.invalidOption(key: macOptionKey, value: text, expected: "6 bytes in base64")
            }
            return (mac, false)
        case nil, .null?:
            break
        case let other?:
            throw NetworkModelError.invalidOption(key: macOptionKey, value: other.kind, expected: "a base64 string")
        }
        if let address { return (MACAddress(derivedFrom: address), false) }
        // No address at all (an IPv4-less network without IPv6): a random local one.
        var bytes = (0..<6).map { _ in UInt8.random(in: 0...255) }
        bytes[0] = (bytes[0] & 0xFE) | 0x02
        return (MACAddress(bytes: bytes)!, false)
    }

    /// The first MAC derived from `address` (see `MACAddress.derived(from:attempt:)`) that is
    /// not in `inUse`; random ones once the derived ones are exhausted, or without an address.
    static func freeMAC(for address: IPAddress?, avoiding inUse: Set<MACAddress>) -> MACAddress {
        if let address {
            for attempt in 1...64 {
                let candidate = MACAddress.derived(from: address, attempt: attempt)
                if !inUse.contains(candidate) { return candidate }
            }
        }
        // 46 random bits against at most a few thousand endpoints: the first try all but
        // always does; the bound only keeps the loop finite.
        var candidate = MACAddress(bytes: [0x02, 0, 0, 0, 0, 1])!
        for _ in 0..<1_000 {
            var bytes = (0..<6).map { _ in UInt8.random(in: 0...255) }
            bytes[0] = (bytes[0] & 0xFE) | 0x02
            candidate = MACAddress(bytes: bytes)!
            if !inUse.contains(candidate) { break }
        }
        return candidate
    }

    static func interfaceAddress(_ text: String, field: String) throws -> InterfaceAddress? {
        guard !text.isEmpty else { return nil }
        guard let address = InterfaceAddress(cidr: text) else { throw NetworkModelError.invalidAddress(field: field, value: text) }
        return address
    }

    /// Unknown endpoints are not an error (rollbacks and repeats). The endpoint is recorded as
    /// being deleted and its ports are closed before the answer; the veth itself is deleted in
    /// the background, because the kernel takes ~10–20 ms to unregister a device and nothing
    /// waits on it (names are unique among live endpoints, see `createEndpoint`; start-up
    /// finishes what a crash cut short).
    package func deleteEndpoint(networkID: String, endpointID: String) throws {
        var left: (EndpointRecord, NetworkRecord)?
        let deleted: (endpoint: EndpointRecord, mode: DriverMode)? = try state.withLock { state in
            guard var endpoint = state.endpoints[endpointID], endpoint.networkID == networkID else { return nil }
            let retrying = endpoint.state == .deleting
            if retrying {
                // A delete of it failed after it was recorded (its links or its rules may be
                // left): this one finishes it, rather than answer "nothing to do" while its
                // published ports still lead to its address, which others may be given. One
                // already done and waiting for the batch delete has nothing left to do.
                if pendingDeletion.withLock({ $0.endpoints.contains { $0.endpoint.id == endpointID } }) { return nil }
            } else {
                endpoint.state = .deleting
                try store.commit(.putEndpoint(endpoint))
            }
            // Not told again when retrying: its address may be another container's by now, here
            // or on another host (it was released after the failed delete), and what the mode
            // withdraws by address (a multi-host network's location) would be that one's. Its
            // Leave withdrew it already.
            if let network = state.networks[endpoint.networkID], !retrying { left = (endpoint, network) }
            CrashPoint.reach("endpoint.delete.recorded")
            state.endpoints[endpointID] = endpoint
            try mode(of: endpoint, in: state).retireEndpointLinks(endpoint)
            CrashPoint.reach("endpoint.delete.retired")
            if !endpoint.publishedPorts.isEmpty || retrying {
                try applyFirewall(state)
            }
            return (endpoint, mode(of: endpoint, in: state).driverMode)
        }
        guard let deleted else {
            logger.notice("DeleteEndpoint of an endpoint not held; nothing to do", metadata: ["endpoint": "\(endpointID.prefix(12))"])
            return
        }
        if let (endpoint, network) = left { modes[network].endpointLeft(endpoint, on: network) }
        scheduleDeletion(deleted.endpoint, mode: deleted.mode)
        logger.info("DeleteEndpoint", metadata: ["endpoint": "\(endpointID.prefix(12))", "veth": "\(deleted.endpoint.hostVeth)"])
    }

    /// The mode of the endpoint's network (the default mode's if the network went first, which
    /// only a damaged state has).
    func mode(of endpoint: EndpointRecord, in state: DriverState) -> any NetworkMode {
        modes[state.networks[endpoint.networkID]?.mode ?? .default]
    }

    /// Retired links are deleted together 50 ms after the first of a batch: one kernel grace
    /// period for all the containers that stopped meanwhile, and out of the answer's way.
    func scheduleDeletion(_ endpoint: EndpointRecord, mode: DriverMode) {
        let schedule = pendingDeletion.withLock { pending in
            pending.endpoints.append((endpoint, mode))
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        if schedule {
            reaper.asyncAfter(deadline: DispatchTime.now() + DispatchTimeInterval.milliseconds(50)) { [self] in flushDeletions() }
        }
    }

    /// Runs on the reaper queue.
    func flushDeletions() {
        let batch = pendingDeletion.withLock { pending in
            defer { pending = ([], false) }
            return pending.endpoints
        }
        guard !batch.isEmpty else { return }
        for mode in Set(batch.map(\.mode)).sorted(by: { $0.rawValue < $1.rawValue }) {
            let links = modes[mode]
            do {
                try links.deleteRetiredLinks()
                CrashPoint.reach("endpoint.delete.batch")
            } catch {
                logger.warning("batch delete of retired links failed; deleting one by one",
                               metadata: ["mode": "\(mode.rawValue)", "error": "\(error)"])
                for item in batch where item.mode == mode { _ = try? links.deleteEndpointLinks(item.endpoint) }
            }
        }
        do {
            try state.withLock { state in
                let done = batch.map(\.endpoint).filter { state.endpoints[$0.id]?.state == .deleting }
                try store.commit(done.map { .deleteEndpoint(id: $0.id) })
                for endpoint in done { state.endpoints[endpoint.id] = nil }
            }
        } catch {
            logger.error("could not record deleted endpoints; start-up will finish them", metadata: ["error": "\(error)"])
        }
    }

    /// Deletes what is pending now and waits for it (before a network goes, and at shutdown).
    package func drain() {
        reaper.sync { flushDeletions() }
    }

    package func join(networkID: String, endpointID: String, sandboxKey: String, options: JSONObject?) throws -> JoinAnswer {
        let (answer, joined, network): (JoinAnswer, EndpointRecord, NetworkRecord) = try state.withLock { state in
            guard var endpoint = state.liveEndpoint(endpointID, on: networkID) else { throw DriverError.unknownEndpoint(endpointID) }
            guard let network = state.networks[endpoint.networkID] else { throw DriverError.unknownNetwork(endpoint.networkID) }
            endpoint.sandboxKey = sandboxKey
            endpoint.joinedOrLeftAt = Int(time(nil))
            // dockerd ≤ 20.10 repeats the port map in Join's sandbox options.
            if endpoint.requestedPorts.isEmpty { endpoint.requestedPorts = try PortBindingRequest.list(from: options) }
            try store.commit(.putEndpoint(endpoint))
            CrashPoint.reach("endpoint.join.recorded")
            state.endpoints[endpointID] = endpoint
            return (modes[network].joinAnswer(for: endpoint, on: network), endpoint, network)
        }
        modes[network].endpointJoined(joined, on: network)
        logger.info("Join", metadata: ["endpoint": "\(endpointID.prefix(12))", "sandbox": "\(sandboxKey)",
                                       "gateway": "\(answer.gateway?.description ?? "-")"])
        return answer
    }

    package func leave(networkID: String, endpointID: String) throws {
        let left: (EndpointRecord, NetworkRecord?)? = try state.withLock { state in
            guard var endpoint = state.liveEndpoint(endpointID, on: networkID) else { return nil }
            endpoint.sandboxKey = nil
            endpoint.joinedOrLeftAt = Int(time(nil))
            try store.commit(.putEndpoint(endpoint))
            state.endpoints[endpointID] = endpoint
            return (endpoint, state.networks[endpoint.networkID])
        }
        let known = left != nil
        if let (endpoint, network) = left, let network { modes[network].endpointLeft(endpoint, on: network) }
        logger.info(known ? "Leave" : "Leave of an endpoint not held; nothing to do",
                    metadata: ["endpoint": "\(endpointID.prefix(12))"])
    }

    package func endpoint(_ id: String) -> EndpointRecord? {
        state.withLock { $0.endpoints[id] }
    }
}
