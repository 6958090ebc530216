import GRDB
import SwiftnetAddress
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel
import SwiftnetLANModel

extension StateStore: NetworkStore {
    package func loadNetworks() throws -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        try queue.read { db in
            var subnets: [String: [NetworkSubnet]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT network_id, pool, gateway FROM network_subnet ORDER BY network_id, position") {
                guard let pool = IPPrefix(row[1] as String) else { throw StateStoreError.corrupt("subnet of network \(row[0] as String)") }
                subnets[row[0], default: []].append(NetworkSubnet(pool: pool, gateway: (row[2] as String?).flatMap { IPAddress($0) }))
            }
            var networks: [NetworkRecord] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM network ORDER BY sequence, id") {
                var options = NetworkOptions()
                let id: String = row["id"]
                guard let mode = DriverMode(rawValue: row["mode"]) else {
                    throw StateStoreError.corrupt("mode of network \(id) (a newer swiftnet's?)")
                }
                options.mode = mode
                if row["bridge_named_by_user"] as Bool { options.bridgeName = row["bridge"] }
                options.mtu = row["mtu"]
                options.interContainer = row["icc"]
                options.masquerade = row["masquerade"]
                options.hostBindingIPv4 = (row["host_binding_ipv4"] as String?).flatMap { IPAddress($0) }
                options.containerInterfacePrefix = row["iface_prefix"]
                options.isInternal = row["internal"]
                options.ipv6 = row["ipv6"]
                options.generic = StateStore.decodeStringMap(row["generic"])
                networks.append(NetworkRecord(id: id, bridge: row["bridge"], options: options, subnets: subnets[id] ?? [],
                                              state: LifecycleState(rawValue: row["state"]) ?? .creating,
                                              ownsLink: row["owns_link"],
                                              hostShim: (row["host_shim"] as String?).flatMap { InterfaceAddress(cidr: $0) },
                                              sequence: row["sequence"]))
            }
            var endpoints: [EndpointRecord] = []
            for row in try Row.fetchAll(db, sql: "SELECT *, CAST(strftime('%s', created_at) AS INTEGER) AS created_unix FROM endpoint ORDER BY created_at, id") {
                let id: String = row["id"]
                guard let mac = MACAddress(row["mac"] as String) else { throw StateStoreError.corrupt("MAC of endpoint \(id)") }
                endpoints.append(EndpointRecord(
                    id: id, networkID: row["network_id"], hostVeth: row["host_veth"], containerVeth: row["container_veth"],
                    address: (row["address"] as String?).flatMap { InterfaceAddress(cidr: $0) },
                    addressIPv6: (row["address6"] as String?).flatMap { InterfaceAddress(cidr: $0) },
                    mac: mac, macFromDocker: row["mac_from_docker"], bootID: row["boot_id"], sandboxKey: row["sandbox_key"],
                    joinedOrLeftAt: row["joined_at"], createdAt: row["created_unix"], requestedPorts: StateStore.decodeRequests(row["requested_ports"]),
                    publishedPorts: StateStore.decodePublished(row["published_ports"]),
                    state: LifecycleState(rawValue: row["state"]) ?? .creating))
            }
            return (networks, endpoints)
        }
    }

    package func commit(_ change: NetworkChange) throws {
        try commit([change])
    }

    package func commit(_ changes: [NetworkChange]) throws {
        guard !changes.isEmpty else { return }
        try write(changes.contains(where: \.isDurableAcrossPowerLoss) ? .synced : .processCrashSafe) { db in
            for change in changes { try StateStore.apply(change, to: db) }
        }
    }

    private static func apply(_ change: NetworkChange, to db: Database) throws {
        switch change {
        case .putNetwork(let network):
            let o = network.options
            try db.execute(sql: """
                INSERT INTO network (id, bridge, bridge_named_by_user, mtu, icc, masquerade, host_binding_ipv4,
                                     iface_prefix, internal, ipv6, generic, state, mode, owns_link, host_shim, sequence)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET state = excluded.state
                """, arguments: [network.id, network.bridge, o.bridgeName != nil, o.mtu, o.interContainer, o.masquerade,
                                 o.hostBindingIPv4?.description, o.containerInterfacePrefix, o.isInternal, o.ipv6,
                                 StateStore.encodeStringMap(o.generic), network.state.rawValue, o.mode.rawValue,
                                 network.ownsLink, network.hostShim?.description, network.sequence])
            try db.execute(sql: "DELETE FROM network_subnet WHERE network_id = ?", arguments: [network.id])
            for (position, subnet) in network.subnets.enumerated() {
                try db.execute(sql: "INSERT INTO network_subnet (network_id, position, pool, gateway) VALUES (?, ?, ?, ?)",
                               arguments: [network.id, position, subnet.pool.description, subnet.gateway?.description])
            }
        case .deleteNetwork(let id):
            try db.execute(sql: "DELETE FROM network WHERE id = ?", arguments: [id])
        case .putEndpoint(let endpoint):
            // An endpoint is written four more times after its insert (ready, Join, Leave,
            // deleting) with its id, network and host veth unchanged: an UPDATE of the other
            // columns rewrites its row only, where INSERT OR REPLACE deletes and reinserts it in
            // the table and in all three indexes (4 pages written to the WAL instead of 1). It
            // also keeps created_at, which orders the endpoints at load, at the creation time.
            try db.cachedStatement(sql: """
                UPDATE endpoint SET container_veth = ?, address = ?, address6 = ?, mac = ?, mac_from_docker = ?,
                                    boot_id = ?, sandbox_key = ?, joined_at = ?, requested_ports = ?, published_ports = ?, state = ?
                WHERE id = ? AND network_id = ? AND host_veth = ?
                """).execute(arguments: [
                    endpoint.containerVeth, endpoint.address?.description, endpoint.addressIPv6?.description,
                    endpoint.mac.description, endpoint.macFromDocker, endpoint.bootID, endpoint.sandboxKey, endpoint.joinedOrLeftAt,
                    StateStore.encode(endpoint.requestedPorts), StateStore.encode(endpoint.publishedPorts),
                    endpoint.state.rawValue, endpoint.id, endpoint.networkID, endpoint.hostVeth])
            // A new endpoint, or one whose network or host veth changed: the whole row.
            guard db.changesCount == 0 else { break }
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO endpoint (id, network_id, host_veth, container_veth, address, address6, mac,
                                                 mac_from_docker, boot_id, sandbox_key, joined_at, requested_ports, published_ports, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    endpoint.id, endpoint.networkID, endpoint.hostVeth, endpoint.containerVeth,
                    endpoint.address?.description, endpoint.addressIPv6?.description, endpoint.mac.description,
                    endpoint.macFromDocker, endpoint.bootID, endpoint.sandboxKey, endpoint.joinedOrLeftAt,
                    StateStore.encode(endpoint.requestedPorts), StateStore.encode(endpoint.publishedPorts),
                    endpoint.state.rawValue])
        case .deleteEndpoint(let id):
            try db.cachedStatement(sql: "DELETE FROM endpoint WHERE id = ?").execute(arguments: [id])
        }
    }
}
