import GRDB

extension StateStore {
    /// The versioned schema, every migration in the order it runs. A migration is never edited
    /// once released: add a new one at the end.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ipam") { db in
            try db.execute(sql: """
                CREATE TABLE meta (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                CREATE TABLE pool (
                    id TEXT PRIMARY KEY NOT NULL,
                    address_space TEXT NOT NULL,
                    prefix TEXT NOT NULL,
                    sub_pool TEXT,
                    options TEXT NOT NULL DEFAULT '{}',
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
                );
                CREATE TABLE allocation (
                    pool_id TEXT NOT NULL REFERENCES pool(id) ON DELETE CASCADE,
                    address TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    name TEXT,
                    sequence INTEGER,
                    PRIMARY KEY (pool_id, address)
                ) WITHOUT ROWID;
                CREATE TABLE sticky (
                    pool_id TEXT NOT NULL REFERENCES pool(id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    address TEXT NOT NULL,
                    PRIMARY KEY (pool_id, name)
                ) WITHOUT ROWID;
                """)
            // 40 random bits for this host's IPv6 unique-local prefix (RFC 4193 §3.2).
            let globalID = UInt64.random(in: 0...0xFF_FFFF_FFFF)
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('ula_global_id', ?)",
                           arguments: [String(globalID, radix: 16)])
        }
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
        migrator.registerMigration("v3-instance") { db in
            // Tags the kernel links this state's server makes (see KernelDataplane.group).
            try db.execute(sql: "INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?)",
                           arguments: [String(UInt64.random(in: 1...UInt64.max), radix: 16)])
        }
        migrator.registerMigration("v4-allocation-time") { db in
            // When each address was handed out (unix seconds): `gc` frees a dynamic address no
            // endpoint holds only once it is old enough that no dockerd call can still be on
            // its way to claim it. Rows from before this migration stay NULL (old).
            try db.execute(sql: "ALTER TABLE allocation ADD COLUMN allocated_at INTEGER")
        }
        migrator.registerMigration("v5-sticky-use") { db in
            // When each sticky name last got an address (a count per pool): the least recently
            // used name is forgotten first when a pool has too many. Rows from before it are 0;
            // the bounds are applied to them when the state is next loaded.
            try db.execute(sql: "ALTER TABLE sticky ADD COLUMN last_use INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v6-network-mode") { db in
            // `swiftnet.mode`: which of the driver's modes made the network. Every network
            // before it is a bridge.
            try db.execute(sql: "ALTER TABLE network ADD COLUMN mode TEXT NOT NULL DEFAULT 'bridge'")
        }
        migrator.registerMigration("v7-multihost") { db in
            // What this host holds of multi-host networks (whose truth is in etcd): the pools
            // dockerd asked for by name, and each address claim, recorded before it is made
            // (address NULL) and completed after, so a restart can tell etcd's claims of this
            // host that no answer reached dockerd for.
            try db.execute(sql: """
                CREATE TABLE mh_pool (pool_id TEXT PRIMARY KEY, network TEXT NOT NULL, subnet TEXT NOT NULL,
                                      gateway TEXT NOT NULL, vni INTEGER NOT NULL);
                CREATE TABLE mh_claim (owner TEXT PRIMARY KEY, network TEXT NOT NULL, address TEXT, name TEXT,
                                       created_at INTEGER NOT NULL);
                CREATE INDEX mh_claim_address ON mh_claim (network, address);
                """)
        }
        migrator.registerMigration("v8-lan-network") { db in
            // macvlan/ipvlan networks: whether swiftnet made the parent (an 802.1q
            // sub-interface or a dummy, deleted with the last network on it), and the host
            // shim's address (`swiftnet.host_shim=true`). Bridges have neither.
            try db.execute(sql: "ALTER TABLE network ADD COLUMN owns_link INTEGER NOT NULL DEFAULT 0")
            try db.execute(sql: "ALTER TABLE network ADD COLUMN host_shim TEXT")
        }
        migrator.registerMigration("v9-endpoint-joined-at") { db in
            // When Join was committed: a joined endpoint whose container interface is back in
            // the host's namespace is stale only well after it (EndpointRecord.lostItsContainer).
            try db.execute(sql: "ALTER TABLE endpoint ADD COLUMN joined_at INTEGER")
        }
        migrator.registerMigration("v10-multihost-claim-by-value") { db in
            // A claim asked for by value with no name (`--aux-address`, Docker <= 28's `--ip`)
            // is never taken for a leak: no endpoint ever holds an aux address.
            try db.execute(sql: "ALTER TABLE mh_claim ADD COLUMN by_value INTEGER NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v11-network-sequence") { db in
            // The order networks were created in (NetworkRecord.sequence); the rows' order of
            // insertion for those made before.
            try db.execute(sql: """
                ALTER TABLE network ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
                UPDATE network SET sequence = rowid;
                """)
        }
        migrator.registerMigration("v12-network-link-shared") { db in
            // A macvlan network keeps its parent link in `bridge`, and macvlan networks may
            // share a parent: the name is unique among the links swiftnet makes per network
            // (bridge and overlay modes) only. SQLite drops a UNIQUE constraint only by
            // rebuilding the table; GRDB runs a migration with foreign keys off and checks
            // them all before it commits, so the rebuild cascades to no subnet or endpoint.
            try db.execute(sql: """
                CREATE TABLE network_new (
                    id TEXT PRIMARY KEY NOT NULL,
                    bridge TEXT NOT NULL,
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
                    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
                    mode TEXT NOT NULL DEFAULT 'bridge',
                    owns_link INTEGER NOT NULL DEFAULT 0,
                    host_shim TEXT,
                    sequence INTEGER NOT NULL DEFAULT 0
                );
                INSERT INTO network_new (id, bridge, bridge_named_by_user, mtu, icc, masquerade, host_binding_ipv4, iface_prefix,
                                         internal, ipv6, generic, state, created_at, mode, owns_link, host_shim, sequence)
                    SELECT id, bridge, bridge_named_by_user, mtu, icc, masquerade, host_binding_ipv4, iface_prefix,
                           internal, ipv6, generic, state, created_at, mode, owns_link, host_shim, sequence
                    FROM network ORDER BY rowid;
                DROP TABLE network;
                ALTER TABLE network_new RENAME TO network;
                CREATE UNIQUE INDEX network_own_link ON network(bridge) WHERE mode IN ('bridge', 'overlay');
                """)
        }
        return migrator
    }
}
