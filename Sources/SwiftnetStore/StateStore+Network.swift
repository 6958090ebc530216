import GRDB
import SwiftnetAddress
import SwiftnetIPAM
import SwiftnetJSON
import SwiftnetNetworkModel

extension StateStore: NetworkStore {
    static func registerNetworkMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2-network") { db in
            try db.execute(sql: """
                CREATE TABLE network (
                    id TEXT PRIMARY KEY NOT NULL,
                    bridge TEXT NOT NULL UNIQUE,
                    bridge_named_by_user INTEGER NOT NULL,
                    mtu INTEGER,
                    icc INTEGER NOT NULL,
                    masquerade INTEGER NOT NULL,
                    host_binding_ipv4 TEXT,
                    iface_prefix TEXT NOT NULL,
                    internal INTEGER NOT NULL,
                    ipv6 INTEGER NOT NULL,
                    generic TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
                );
                CREATE TABLE network_subnet (
                    network_id TEXT NOT NULL REFERENCES network(id) ON DELETE CASCADE,
                    position INTEGER NOT NULL,
                    pool TEXT NOT NULL,
                    gateway TEXT,
                    PRIMARY KEY (network_id, position)
                ) WITHOUT ROWID;
                CREATE TABLE endpoint (
                    id TEXT PRIMARY KEY NOT NULL,
                    network_id TEXT NOT NULL REFERENCES network(id),
                    host_veth TEXT NOT NULL UNIQUE,
                    container_veth TEXT NOT NULL,
                    address TEXT,
                    address6 TEXT,
                    mac TEXT NOT NULL,
                    mac_from_docker INTEGER NOT NULL,
                    boot_id TEXT NOT NULL,
                    sandbox_key TEXT,
                    requested_ports TEXT NOT NULL,
                    published_ports TEXT NOT NULL,
                    state TEXT NOT NULL,
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
                );
                CREATE INDEX endpoint_network ON endpoint(network_id);
                """)
        }
    }

    package func loadNetworks() throws -> (networks: [NetworkRecord], endpoints: [EndpointRecord]) {
        try queue.read { db in
            var subnets: [String: [NetworkSubnet]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT network_id, pool, gateway FROM network_subnet ORDER BY network_id, position") {
                guard let pool = IPPrefix(row[1] as String) else { throw StateStoreError.corrupt("subnet of network \(row[0] as String)") }
                subnets[row[0], default: []].append(NetworkSubnet(pool: pool, gateway: (row[2] as String?).flatMap { IPAddress($0) }))
            }
            var networks: [NetworkRecord] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM network ORDER BY created_at, id") {
                var options = NetworkOptions()
                if row["bridge_named_by_user"] as Bool { options.bridgeName = row["bridge"] }
                options.mtu = row["mtu"]
                options.interContainer = row["icc"]
                options.masquerade = row["masquerade"]
                options.hostBindingIPv4 = (row["host_binding_ipv4"] as String?).flatMap { IPAddress($0) }
                options.containerInterfacePrefix = row["iface_prefix"]
                options.isInternal = row["internal"]
                options.ipv6 = row["ipv6"]
                options.generic = StateStore.decodeStringMap(row["generic"])
                let id: String = row["id"]
                networks.append(NetworkRecord(id: id, bridge: row["bridge"], options: options, subnets: subnets[id] ?? [],
                                              state: LifecycleState(rawValue: row["state"]) ?? .creating))
            }
            var endpoints: [EndpointRecord] = []
            for row in try Row.fetchAll(db, sql: "SELECT * FROM endpoint ORDER BY created_at, id") {
                let id: String = row["id"]
                guard let mac = MACAddress(row["mac"] as String) else { throw StateStoreError.corrupt("MAC of endpoint \(id)") }
                endpoints.append(EndpointRecord(
                    id: id, networkID: row["network_id"], hostVeth: row["host_veth"], containerVeth: row["container_veth"],
                    address: (row["address"] as String?).flatMap { InterfaceAddress(cidr: $0) },
                    addressIPv6: (row["address6"] as String?).flatMap { InterfaceAddress(cidr: $0) },
                    mac: mac, macFromDocker: row["mac_from_docker"], bootID: row["boot_id"], sandboxKey: row["sandbox_key"],
                    requestedPorts: StateStore.decodeRequests(row["requested_ports"]),
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
                                     iface_prefix, internal, ipv6, generic, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET state = excluded.state
                """, arguments: [network.id, network.bridge, o.bridgeName != nil, o.mtu, o.interContainer, o.masquerade,
                                 o.hostBindingIPv4?.description, o.containerInterfacePrefix, o.isInternal, o.ipv6,
                                 StateStore.encodeStringMap(o.generic), network.state.rawValue])
            try db.execute(sql: "DELETE FROM network_subnet WHERE network_id = ?", arguments: [network.id])
            for (position, subnet) in network.subnets.enumerated() {
                try db.execute(sql: "INSERT INTO network_subnet (network_id, position, pool, gateway) VALUES (?, ?, ?, ?)",
                               arguments: [network.id, position, subnet.pool.description, subnet.gateway?.description])
            }
        case .deleteNetwork(let id):
            try db.execute(sql: "DELETE FROM network WHERE id = ?", arguments: [id])
        case .putEndpoint(let endpoint):
            try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO endpoint (id, network_id, host_veth, container_veth, address, address6, mac,
                                                 mac_from_docker, boot_id, sandbox_key, requested_ports, published_ports, state)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    endpoint.id, endpoint.networkID, endpoint.hostVeth, endpoint.containerVeth,
                    endpoint.address?.description, endpoint.addressIPv6?.description, endpoint.mac.description,
                    endpoint.macFromDocker, endpoint.bootID, endpoint.sandboxKey,
                    StateStore.encode(endpoint.requestedPorts), StateStore.encode(endpoint.publishedPorts),
                    endpoint.state.rawValue])
        case .deleteEndpoint(let id):
            try db.cachedStatement(sql: "DELETE FROM endpoint WHERE id = ?").execute(arguments: [id])
        }
    }

    // MARK: JSON columns

    static func encodeStringMap(_ map: [String: String]) -> String {
        JSONValue.object(JSONObject(map.sorted { $0.key < $1.key }.map { (key: $0.key, value: .string($0.value)) })).serializedString
    }

    static func decodeStringMap(_ text: String) -> [String: String] {
        guard case .object(let object)? = try? JSONParser.parse(text) else { return [:] }
        return object.members.reduce(into: [:]) { result, member in
            if case .string(let value) = member.value { result[member.key] = value }
        }
    }

    static func encode(_ requests: [PortBindingRequest]) -> String {
        JSONValue.array(requests.map { request in
            .object(["proto": .string(request.proto.rawValue), "hostIP": request.hostIP.map { .string($0.description) } ?? .null,
                     "hostPort": .number(Double(request.hostPort)), "hostPortEnd": .number(Double(request.hostPortEnd)),
                     "containerPort": .number(Double(request.containerPort))])
        }).serializedString
    }

    static func encode(_ ports: [PublishedPort]) -> String {
        JSONValue.array(ports.map { port in
            .object(["proto": .string(port.proto.rawValue), "hostIP": port.hostIP.map { .string($0.description) } ?? .null,
                     "hostPort": .number(Double(port.hostPort)), "containerPort": .number(Double(port.containerPort))])
        }).serializedString
    }

    private static func portObjects(_ text: String) -> [JSONObject] {
        guard case .array(let elements)? = try? JSONParser.parse(text) else { return [] }
        return elements.compactMap { if case .object(let object) = $0 { return object } else { return nil } }
    }

    /// A port entry's protocol and host address (absent or empty: every address).
    private static func protoAndHost(_ object: JSONObject) -> (TransportProtocol, IPAddress?)? {
        guard let proto = TransportProtocol(rawValue: (try? object.string("proto")) ?? "") else { return nil }
        let host = (try? object.string("hostIP")) ?? ""
        return (proto, host.isEmpty ? nil : IPAddress(host))
    }

    private static func int(_ object: JSONObject, _ key: String) -> Int {
        // A hand-edited or damaged row must not trap start-up: out-of-range reads as 0.
        if case .number(let value)? = object[key] { return Int(exactly: value) ?? 0 }
        return 0
    }

    static func decodeRequests(_ text: String) -> [PortBindingRequest] {
        portObjects(text).compactMap { object in
            guard let (proto, hostIP) = protoAndHost(object) else { return nil }
            return PortBindingRequest(proto: proto, containerPort: int(object, "containerPort"), hostIP: hostIP,
                                      hostPort: int(object, "hostPort"), hostPortEnd: int(object, "hostPortEnd"))
        }
    }

    static func decodePublished(_ text: String) -> [PublishedPort] {
        portObjects(text).compactMap { object in
            guard let (proto, hostIP) = protoAndHost(object) else { return nil }
            return PublishedPort(proto: proto, hostIP: hostIP, hostPort: int(object, "hostPort"),
                                 containerPort: int(object, "containerPort"))
        }
    }
}
