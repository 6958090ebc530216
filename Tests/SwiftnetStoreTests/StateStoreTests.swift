import Foundation
import GRDB
import SwiftnetAddress
import XCTest
import SwiftnetIPAM
@testable import SwiftnetStore

final class StateStoreTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swiftnet-store-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    var statePath: String { folder + "/nested/state.db" }

    func testCreatesFolderWithMode0700AndWAL() throws {
        var id: UInt64 = 0
        do {
            let store = try StateStore(path: statePath)
            let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/nested")
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o700)
            let mode = try store.queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            XCTAssertEqual(mode, "wal")
            id = try store.ulaGlobalID()
            XCTAssertLessThanOrEqual(id, 0xFF_FFFF_FFFF)
        }
        XCTAssertEqual(try StateStore(path: statePath).ulaGlobalID(), id, "kept across opens")
    }

    /// A new file gets small pages (each commit writes its changed pages whole); a file made
    /// with SQLite's default 4 KiB pages keeps them and works as before.
    func testNewFilesGetSmallPagesAndOldFilesKeepTheirs() throws {
        do {
            let store = try StateStore(path: statePath)
            XCTAssertEqual(try store.queue.read { try Int.fetchOne($0, sql: "PRAGMA page_size") }, StateStore.pageSize)
            XCTAssertEqual(try store.queue.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }, 4_000)
        }
        let oldPath = folder + "/old.db"
        do {
            var configuration = Configuration()
            configuration.journalMode = .wal  // as an earlier swiftnet made it
            let old = try DatabaseQueue(path: oldPath, configuration: configuration)
            try old.write { try $0.execute(sql: "CREATE TABLE before_swiftnet (x INTEGER)") }
        }
        let store = try StateStore(path: oldPath)
        XCTAssertEqual(try store.queue.read { try Int.fetchOne($0, sql: "PRAGMA page_size") }, 4096)
        XCTAssertEqual(try store.queue.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") }, 1_000, "its WAL no larger than before")
        try store.commit(.createPool(PoolRecord(id: "p", addressSpace: "LocalDefault", prefix: IPPrefix("10.9.0.0/24")!, subPool: nil, options: [:])))
        try store.commit(.allocate(AllocationRecord(poolID: "p", address: IPAddress("10.9.0.2")!, kind: .dynamic, sequence: 1), sticky: nil))
        XCTAssertEqual(try store.loadIPAM().used["p"], [IPAddress("10.9.0.2")!])
    }

    /// A clean stop leaves the WAL empty: the next start has nothing to read back.
    func testACleanStopEmptiesTheWAL() throws {
        let store = try StateStore(path: statePath)
        try store.commit(.createPool(PoolRecord(id: "p", addressSpace: "LocalDefault", prefix: IPPrefix("10.9.0.0/16")!, subPool: nil, options: [:])))
        for index in 0..<200 {
            try store.commit(.allocate(AllocationRecord(poolID: "p", address: IPAddress("10.9.\(index / 200).\(index % 200 + 2)")!, kind: .dynamic), sticky: nil))
        }
        let wal = statePath + "-wal"
        XCTAssertGreaterThan((try FileManager.default.attributesOfItem(atPath: wal)[.size] as? NSNumber)?.intValue ?? 0, 0)
        try store.recordCleanStop(at: 1)
        XCTAssertEqual((try FileManager.default.attributesOfItem(atPath: wal)[.size] as? NSNumber)?.intValue, 0)
        XCTAssertEqual(try store.loadIPAM().used["p"]?.count, 200)
    }

    /// The statements run through SQLite's C API fail as GRDB's would: with SQLite's words,
    /// and the whole transaction rolled back.
    func testADirectStatementThatFailsRollsBackItsTransaction() throws {
        let store = try StateStore(path: statePath)
        try store.commit(.createPool(PoolRecord(id: "p", addressSpace: "LocalDefault", prefix: IPPrefix("10.9.0.0/24")!, subPool: nil, options: [:])))
        let first = AllocationRecord(poolID: "p", address: IPAddress("10.9.0.2")!, kind: .dynamic, name: "web", sequence: 1)
        let second = AllocationRecord(poolID: "p", address: IPAddress("10.9.0.3")!, kind: .dynamic, sequence: 2)
        XCTAssertThrowsError(try store.commit([.allocate(second, sticky: nil), .allocate(first, sticky: nil), .allocate(first, sticky: nil)])) { error in
            XCTAssertTrue("\(error)".contains("UNIQUE constraint failed"), "\(error)")
        }
        XCTAssertEqual(try store.loadIPAM().used["p"] ?? [], [], "nothing of the failed transaction stays")
        XCTAssertThrowsError(try store.commit(.allocate(AllocationRecord(poolID: "no such pool", address: IPAddress("10.9.0.4")!, kind: .dynamic), sticky: nil))) { error in
            XCTAssertTrue("\(error)".contains("FOREIGN KEY constraint failed"), "\(error)")
        }
        try store.commit(.allocate(first, sticky: nil))
        try store.commit(.release(poolID: "p", address: first.address))
        try store.commit(.allocate(second, sticky: nil))
        let loaded = try store.loadIPAM()
        XCTAssertEqual(loaded.used["p"], [second.address], "the statements are usable again after a failure")
    }

    /// The start-up scan of every address held runs through SQLite's C API: it reads each
    /// pool's rows, refuses a row that is not an address, and leaves the statement usable.
    func testTheAddressScanReadsEachPoolsRowsAndRefusesGarbage() throws {
        let store = try StateStore(path: statePath)
        for (id, prefix) in [("a", "10.9.0.0/24"), ("b", "fd00:9::/64")] {
            try store.commit(.createPool(PoolRecord(id: id, addressSpace: "LocalDefault", prefix: IPPrefix(prefix)!, subPool: nil, options: [:])))
        }
        let inA = (2..<300).map { IPAddress("10.9.\($0 / 250).\($0 % 250)")! }
        let inB = [IPAddress("fd00:9::2")!, IPAddress("fd00:9::ffff")!]
        try store.commit(inA.map { .allocate(AllocationRecord(poolID: "a", address: $0, kind: .dynamic), sticky: nil) }
                         + inB.map { .allocate(AllocationRecord(poolID: "b", address: $0, kind: .dynamic), sticky: nil) })
        for _ in 0..<2 {  // the cached statement runs again
            let loaded = try store.loadIPAM()
            XCTAssertEqual(Set(loaded.used["a"] ?? []), Set(inA))
            XCTAssertEqual(Set(loaded.used["b"] ?? []), Set(inB))
        }
        try store.queue.write { db in
            try db.execute(sql: "INSERT INTO allocation (pool_id, address, kind) VALUES ('a', 'not an address', 'dynamic')")
        }
        XCTAssertThrowsError(try store.loadIPAM()) { error in
            XCTAssertTrue("\(error)".contains("an address in pool a"), "\(error)")
        }
        try store.queue.write { db in try db.execute(sql: "DELETE FROM allocation WHERE address = 'not an address'") }
        XCTAssertEqual(Set(try store.loadIPAM().used["a"] ?? []), Set(inA), "usable again after a row that failed")
    }

    /// The server holds the file in exclusive locking mode: another writer cannot slip in.
    func testSecondOpenWhileHeldFails() throws {
        let store = try StateStore(path: statePath, busyTimeout: 0.1)
        _ = try store.ulaGlobalID()
        XCTAssertThrowsError(try StateStore(path: statePath, busyTimeout: 0.1).ulaGlobalID())
    }

    func testChangesRoundTripThroughTheService() throws {
        let configuration = IPAMConfiguration.dockerDefaults(ulaGlobalID: 1)
        let routes = FixedRoutes()
        var issued: [String] = []
        do {
            let service = try IPAMService(configuration: configuration, store: try StateStore(path: statePath), routes: routes)
            let pool = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.40.0.0/24", subPool: "10.40.0.128/25",
                                                     options: ["swiftnet.sticky": "true"]))
            issued.append(try service.requestAddress(.init(poolID: pool.id, options: ["RequestAddressType": "com.docker.network.gateway"])).cidr)
            issued.append(try service.requestAddress(.init(poolID: pool.id, options: ["com.docker.network.endpoint.name": "web"])).cidr)
            issued.append(try service.requestAddress(.init(poolID: pool.id, address: "10.40.0.9")).cidr)
            issued.append(try service.requestAddress(.init(poolID: pool.id)).cidr)
            XCTAssertEqual(try service.releaseAddress(poolID: pool.id, address: "10.40.0.128"),
                           .release(.release(poolID: pool.id, address: IPAddress("10.40.0.128")!)))
            let doomed = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.41.0.0/24"))
            _ = try service.requestAddress(.init(poolID: doomed.id))
            XCTAssertTrue(try service.releasePool(doomed.id))
        }
        XCTAssertEqual(issued, ["10.40.0.1/24", "10.40.0.128/24", "10.40.0.9/24", "10.40.0.129/24"])

        let store = try StateStore(path: statePath)
        let snapshot = try store.loadIPAM()
        XCTAssertEqual(snapshot.pools.map(\.id), ["LocalDefault/10.40.0.0/24/10.40.0.128/25"])
        XCTAssertEqual(snapshot.pools.first?.options, ["swiftnet.sticky": "true"])
        let poolID = "LocalDefault/10.40.0.0/24/10.40.0.128/25"
        XCTAssertEqual(snapshot.cursors[poolID]?.address.description, "10.40.0.129")
        XCTAssertEqual(Set(snapshot.used[poolID]?.map(\.description) ?? []), ["10.40.0.1", "10.40.0.9", "10.40.0.129"])
        let kinds = try store.queue.read { try String.fetchAll($0, sql: "SELECT address || ' ' || kind FROM allocation ORDER BY address") }
        XCTAssertEqual(kinds, ["10.40.0.1 gateway", "10.40.0.129 dynamic", "10.40.0.9 requested"])
        XCTAssertEqual(snapshot.sticky, [StickyRecord(poolID: "LocalDefault/10.40.0.0/24/10.40.0.128/25", name: "web",
                                                      address: IPAddress("10.40.0.128")!, lastUse: 1)])
        let orphans = try store.queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM allocation WHERE pool_id LIKE '%10.41%'") }
        XCTAssertEqual(orphans, 0, "releasing a pool drops its allocations")

        // A service rebuilt from the file continues where the first left off.
        let service = try IPAMService(configuration: configuration, store: store, routes: routes)
        XCTAssertEqual(try service.requestAddress(.init(poolID: poolID)).cidr, "10.40.0.130/24")
        XCTAssertEqual(try service.requestAddress(.init(poolID: poolID, options: ["com.docker.network.endpoint.name": "web"])).cidr,
                       "10.40.0.128/24", "sticky name survives the restart")
    }

    /// The start-up scan reads each pool's rows once and finds the pool's cursor and named
    /// allocations in them: each pool gets its own, and only its own.
    func testEachPoolsCursorAndNamedAllocationsAreLoadedWithItsAddresses() throws {
        let configuration = IPAMConfiguration.dockerDefaults(ulaGlobalID: 1)
        let routes = FixedRoutes()
        let (first, second): (String, String)
        do {
            let service = try IPAMService(configuration: configuration, store: try StateStore(path: statePath), routes: routes)
            first = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.42.0.0/24")).id
            second = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.43.0.0/24")).id
            _ = try service.requestAddress(.init(poolID: first, options: ["com.docker.network.endpoint.name": "web"]))
            _ = try service.requestAddress(.init(poolID: second))
            _ = try service.requestAddress(.init(poolID: first))
            _ = try service.requestAddress(.init(poolID: second))
            _ = try service.requestAddress(.init(poolID: first, address: "10.42.0.200"))
        }
        let snapshot = try StateStore(path: statePath).loadIPAM()
        XCTAssertEqual(snapshot.cursors[first]?.address.description, "10.42.0.2")
        XCTAssertEqual(snapshot.cursors[second]?.address.description, "10.43.0.2")
        XCTAssertEqual(snapshot.named[first]?.map { "\($0.address) \($0.name)" }, ["10.42.0.1 web"])
        XCTAssertNil(snapshot.named[second])
        XCTAssertEqual(snapshot.used[first]?.map(\.description).sorted(), ["10.42.0.1", "10.42.0.2", "10.42.0.200"])
    }

    /// What `gc` may consider: dynamic allocations and named requested ones (Docker 29's
    /// `--ip`) old enough, never gateways or unnamed requested ones (`--aux-address`).
    func testDynamicAllocationsByAge() throws {
        let store = try StateStore(path: statePath)
        let pool = PoolRecord(id: "p", addressSpace: "LocalDefault", prefix: IPPrefix("10.9.0.0/24")!, subPool: nil, options: [:])
        try store.commit(.createPool(pool))
        try store.commit(.allocate(AllocationRecord(poolID: "p", address: IPAddress("10.9.0.1")!, kind: .gateway), sticky: nil))
        try store.commit(.allocate(AllocationRecord(poolID: "p", address: IPAddress("10.9.0.2")!, kind: .dynamic, sequence: 1), sticky: nil))
        try store.commit(.allocate(AllocationRecord(poolID: "p", address: IPAddress("10.9.0.3")!, kind: .requested), sticky: nil))
        try store.commit(.allocate(AllocationRecord(poolID: "p", address: IPAddress("10.9.0.4")!, kind: .requested, name: "web"), sticky: nil))
        let now = Int(Date().timeIntervalSince1970)
        let old = try store.collectableAllocations(inPools: ["p", "other"], allocatedBefore: now + 5)
        XCTAssertEqual(old.map(\.poolID), ["p", "p"])
        XCTAssertEqual(Set(old.map(\.address)), [IPAddress("10.9.0.2")!, IPAddress("10.9.0.4")!])
        XCTAssertEqual(try store.collectableAllocations(inPools: ["p"], allocatedBefore: now - 5).count, 0, "handed out just now: not old")
        // Rows from before allocation times were recorded count as old.
        try store.queue.write { try $0.execute(sql: "UPDATE allocation SET allocated_at = NULL") }
        XCTAssertEqual(try store.collectableAllocations(inPools: ["p"], allocatedBefore: now - 5).count, 2)
        XCTAssertEqual(try store.collectableAllocations(inPools: [], allocatedBefore: now + 5).count, 0, "only the pools asked for")
    }

    func testPoolOptionsRoundTripAndOptionsWrittenByEarlierVersionsStillRead() throws {
        let store = try StateStore(path: statePath)
        let options = ["swiftnet.scope": "eth0/lan \"a\"", "com.docker.network.ipam.serial": "true"]
        try store.commit(.createPool(PoolRecord(id: "p", addressSpace: "LocalDefault", prefix: IPPrefix("10.9.0.0/24")!,
                                                subPool: nil, options: options)))
        XCTAssertEqual(try store.loadIPAM().pools.first?.options, options)
        let stored = try store.queue.read { try String.fetchOne($0, sql: "SELECT options FROM pool WHERE id = 'p'") }
        XCTAssertEqual(stored, #"{"com.docker.network.ipam.serial":"true","swiftnet.scope":"eth0/lan \"a\""}"#, "keys sorted: one text per value")
        // As earlier versions wrote them with Foundation's JSONEncoder (slashes escaped, keys unordered).
        try store.queue.write { try $0.execute(sql: #"UPDATE pool SET options = '{"b":"x\/y","a":"1"}' WHERE id = 'p'"#) }
        XCTAssertEqual(try store.loadIPAM().pools.first?.options, ["a": "1", "b": "x/y"])
    }

    func testFailedCommitLeavesMemoryUnchanged() throws {
        let store = try StateStore(path: statePath)
        let service = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: 1), store: store, routes: FixedRoutes())
        let pool = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.42.0.0/24"))
        // Sabotage the file so the next commit fails, as a full disk or a damaged file would.
        try store.queue.write { try $0.execute(sql: "CREATE TRIGGER refuse BEFORE INSERT ON allocation BEGIN SELECT RAISE(ABORT, 'disk says no'); END") }
        XCTAssertThrowsError(try service.requestAddress(.init(poolID: pool.id)))
        XCTAssertEqual(service.snapshot().usage(ofPool: pool.id)?.allocated, 0)
        try store.queue.write { try $0.execute(sql: "DROP TRIGGER refuse") }
        XCTAssertEqual(try service.requestAddress(.init(poolID: pool.id)).cidr, "10.42.0.1/24")
    }

    func testSecondLockOnTheSameStateIsRefused() throws {
        let first = try StateLock(statePath: statePath)
        XCTAssertThrowsError(try StateLock(statePath: statePath)) { error in
            XCTAssertTrue("\(error)".contains("pid \(getpid())"), "\(error)")
        }
        _ = first
    }

    func testLoadsHundredThousandAllocations() throws {
        let store = try StateStore(path: statePath)
        let service = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: 1), store: store, routes: FixedRoutes())
        let pool = try service.requestPool(.init(addressSpace: "LocalDefault", pool: "10.128.0.0/12"))
        try store.queue.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO allocation (pool_id, address, kind) VALUES (?, ?, 'dynamic')")
            for ordinal in 1...100_000 {
                try insert.execute(arguments: [pool.id, IPAddress(family: .v4, value: IPAddress("10.128.0.0")!.value + UInt128(ordinal)).description])
            }
        }
        let reloaded = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: 1), store: store, routes: FixedRoutes())
        XCTAssertEqual(reloaded.snapshot().usage(ofPool: pool.id)?.allocated, 100_000)
        XCTAssertThrowsError(try reloaded.requestAddress(.init(poolID: pool.id, address: "10.128.100.1")))
    }
}

struct FixedRoutes: HostRouteSource {
    func routes(family: IPFamily) throws -> [HostRoute] { [] }
}

/// The state file maps every network and address of the host: owner-only, whatever the folder.
final class StateFileModeTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swiftnet-mode-\(UUID().uuidString)"
        // Made by someone else, the usual way: 0755.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func mode(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode & 0o777)
    }

    /// Every file SQLite made beside the database (with the umask of most shells, 022).
    func stateFiles(_ path: String) -> [String] {
        [path, path + "-wal", path + "-shm", path + "-journal"].filter { FileManager.default.fileExists(atPath: $0) }
    }

    func testNewStateInAnExisting0755FolderIsOwnerOnly() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let path = folder + "/swiftnet.db"
        let store = try StateStore(path: path)
        try store.setMetaValue("probe", "1")  // a write, so the WAL exists
        let files = stateFiles(path)
        XCTAssertTrue(files.contains(path + "-wal"), "\(files)")
        for file in files { XCTAssertEqual(mode(file), 0o600, file) }
        XCTAssertEqual(mode(folder), 0o755, "a folder that existed is left as it was")
    }

    func testStateLeftWorldReadableIsNarrowedAtOpen() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let path = folder + "/swiftnet.db"
        do {
            let store = try StateStore(path: path)
            try store.setMetaValue("probe", "1")
        }
        // As an earlier version left them, and a -wal a crash left behind.
        XCTAssertTrue(FileManager.default.createFile(atPath: path + "-wal", contents: nil))
        for file in stateFiles(path) { XCTAssertEqual(chmod(file, 0o644), 0) }
        let store = try StateStore(path: path)
        try store.setMetaValue("probe", "2")
        for file in stateFiles(path) { XCTAssertEqual(mode(file), 0o600, file) }
    }
}
