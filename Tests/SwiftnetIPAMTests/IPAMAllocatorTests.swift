import SwiftnetAddress
import XCTest
@testable import SwiftnetIPAM

/// The allocator alone: plan + apply, as the service drives it, without a store.
final class IPAMAllocatorTests: XCTestCase {
    var ipam = IPAMAllocator(configuration: .dockerDefaults(ulaGlobalID: 0xAB_CDEF_0123))
    var routes: [HostRoute] = []

    @discardableResult
    func pool(_ pool: String = "", sub: String = "", v6: Bool = false, space: String = "LocalDefault",
              options: [String: String] = [:]) throws -> PoolRecord {
        let request = IPAMAllocator.PoolRequest(addressSpace: space, pool: pool, subPool: sub, options: options, v6: v6)
        let record = try ipam.planRequestPool(request, hostRoutes: { self.routes })
        ipam.apply(.createPool(record))
        return record
    }

    @discardableResult
    func address(_ poolID: String, _ address: String = "", gateway: Bool = false, name: String? = nil) throws -> String {
        var options: [String: String] = [:]
        if gateway { options[IPAMOptions.requestAddressType] = IPAMOptions.gatewayRequest }
        if let name { options[IPAMOptions.endpointName] = name }
        let change = try ipam.planRequestAddress(.init(poolID: poolID, address: address, options: options))
        ipam.apply(change)
        guard case .allocate(let record, _) = change else { XCTFail("not an allocation"); return "" }
        return record.address.description
    }

    func release(_ poolID: String, _ address: String) throws {
        guard case .release(let change) = try ipam.planReleaseAddress(poolID: poolID, address: address) else {
            return XCTFail("\(address) was not allocated")
        }
        ipam.apply(change)
    }

    func assertThrows(_ expected: IPAMError, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? IPAMError, expected, file: file, line: line)
        }
    }

    // MARK: pools

    func testAutomaticPoolsFollowDockersListLowestFirst() throws {
        XCTAssertEqual(try pool().id, "LocalDefault/172.17.0.0/16")
        XCTAssertEqual(try pool().prefix.description, "172.18.0.0/16")
        XCTAssertEqual(try pool(space: "GlobalDefault").prefix.description, "10.0.0.0/24")
        XCTAssertEqual(try pool(space: "GlobalDefault").prefix.description, "10.0.1.0/24")
    }

    func testAutomaticPoolsSkipHostRoutesAndOtherSpace() throws {
        routes = [HostRoute(prefix: IPPrefix("172.17.0.0/16")!, device: "docker0"),
                  HostRoute(prefix: IPPrefix("172.18.5.0/24")!, device: "wg0"),
                  HostRoute(prefix: IPPrefix("0.0.0.0/0")!, device: "eth0")]
        try pool("172.19.0.0/16", space: "GlobalDefault")
        XCTAssertEqual(try pool().prefix.description, "172.20.0.0/16", "skips docker0, the VPN route and the global pool")
    }

    func testNoFreePoolNamesTheConflictingRoutes() throws {
        ipam = IPAMAllocator(configuration: IPAMConfiguration(
            localBases: [PoolBase(base: IPPrefix("10.9.0.0/23")!, size: 24)], globalBases: []))
        routes = [HostRoute(prefix: IPPrefix("10.9.0.0/24")!, device: "vpn0")]
        try pool()
        XCTAssertThrowsError(try pool()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("all predefined address pools have been fully subnetted"), text)
            XCTAssertTrue(text.contains("10.9.0.0/24 dev vpn0"), text)
            XCTAssertTrue(text.contains("LocalDefault/10.9.1.0/24"), text)
        }
    }

    func testSizeOnlyPoolRequests() throws {
        XCTAssertEqual(try pool("0.0.0.0/24").prefix.description, "172.17.0.0/24")
        XCTAssertEqual(try pool("0.0.0.0/24").prefix.description, "172.17.1.0/24")
        XCTAssertEqual(try pool("0.0.0.0/16").prefix.description, "172.18.0.0/16")
        let v6 = try pool("::/80", v6: true)
        XCTAssertEqual(v6.prefix.length, 80)
        XCTAssertTrue(IPPrefix("fdab:cdef:123::/48")!.contains(v6.prefix), "\(v6.prefix)")
        XCTAssertThrowsError(try pool("0.0.0.0/8"), "no base holds a /8")
    }

    /// Docker's allocator reads `--subnet 0.0.0.0/0` and `::/0` as "a pool of the default size".
    func testSizeOnlySlashZeroIsOneOfTheDefaultSize() throws {
        XCTAssertEqual(try pool("0.0.0.0/0").prefix.description, "172.17.0.0/16")
        XCTAssertEqual(try pool("::/0", v6: true).prefix.description, "fdab:cdef:123::/64")
    }

    /// IPv6 never hands out the subnet-router anycast address (the first), whatever the
    /// length, as moby's allocator: a /127 has one usable address, a /128 none.
    func testIPv6Slash127AndSlash128() throws {
        let pair = try pool("fd00:9::/127", v6: true).id
        XCTAssertEqual(ipam.usage(ofPool: pair)?.capacity, 1)
        XCTAssertEqual(try address(pair, gateway: true), "fd00:9::1")
        assertThrows(.poolExhausted(IPPrefix("fd00:9::/127")!, poolID: pair)) { try address(pair) }
        assertThrows(.reservedAddress(IPAddress("fd00:9::")!, pool: IPPrefix("fd00:9::/127")!)) { try address(pair, "fd00:9::") }

        let single = try pool("fd00:9::10/128", v6: true).id
        XCTAssertEqual(ipam.usage(ofPool: single)?.capacity, 0)
        assertThrows(.poolExhausted(IPPrefix("fd00:9::10/128")!, poolID: single)) { try address(single, gateway: true) }
        assertThrows(.poolExhausted(IPPrefix("fd00:9::10/128")!, poolID: single)) { try address(single) }

        // IPv4 point-to-point subnets (RFC 3021) use both and the single address.
        let p2p = try pool("10.99.0.0/31").id
        XCTAssertEqual(try address(p2p, gateway: true), "10.99.0.0")
        XCTAssertEqual(try address(p2p), "10.99.0.1")
        XCTAssertEqual(try address(try pool("10.99.0.7/32").id), "10.99.0.7")
    }

    func testAutomaticIPv6PoolIsTheHostULA() throws {
        XCTAssertEqual(try pool(v6: true).prefix.description, "fdab:cdef:123::/64")
        XCTAssertEqual(try pool(v6: true).prefix.description, "fdab:cdef:123:1::/64")
    }

    func testExplicitPoolsAndOverlap() throws {
        XCTAssertEqual(try pool("10.20.0.0/16").id, "LocalDefault/10.20.0.0/16")
        assertThrows(.poolOverlap(requested: IPPrefix("10.20.4.0/24")!, existing: IPPrefix("10.20.0.0/16")!)) {
            try pool("10.20.4.0/24")
        }
        assertThrows(.poolOverlap(requested: IPPrefix("10.20.0.0/16")!, existing: IPPrefix("10.20.0.0/16")!)) {
            try pool("10.20.0.0/16")
        }
        // Another address space is another world, as in dockerd.
        XCTAssertNoThrow(try pool("10.20.0.0/16", space: "GlobalDefault"))
        assertThrows(.unknownAddressSpace("Nope")) { try pool("10.30.0.0/16", space: "Nope") }
        assertThrows(.invalidPool("10.0.0.0/40")) { try pool("10.0.0.0/40") }
        assertThrows(.familyMismatch(pool: "fd00::/64", v6: false)) { try pool("fd00::/64") }
        assertThrows(.invalidSubPool("10.50.0.0/24 given without a pool")) { try pool(sub: "10.50.0.0/24") }
        assertThrows(.invalidSubPool("10.51.0.0/24 is not inside pool 10.50.0.0/16")) {
            try pool("10.50.0.0/16", sub: "10.51.0.0/24")
        }
        assertThrows(.invalidOption(key: "swiftnet.sticky", value: "maybe", expected: "true or false")) {
            try pool("10.60.0.0/16", options: ["swiftnet.sticky": "maybe"])
        }
    }

    func testReleasePoolFreesItsSubnet() throws {
        let first = try pool()
        try address(first.id)
        ipam.apply(try XCTUnwrap(ipam.planReleasePool(first.id)))
        XCTAssertNil(ipam.planReleasePool(first.id), "a second release finds nothing")
        XCTAssertEqual(try pool().prefix, first.prefix)
        XCTAssertEqual(ipam.usage(ofPool: first.id)?.allocated, 0)
    }

    // MARK: addresses

    func testGatewayThenDynamicAddresses() throws {
        let id = try pool("10.1.0.0/24").id
        XCTAssertEqual(try address(id, gateway: true), "10.1.0.1")
        XCTAssertEqual(try address(id), "10.1.0.2")
        XCTAssertEqual(try address(id), "10.1.0.3")
    }

    func testReleasedAddressIsNotReusedAtOnceAndAllocationWraps() throws {
        let id = try pool("10.1.0.0/29").id  // .1 … .6 usable
        XCTAssertEqual(try (0..<6).map { _ in try address(id) }, ["10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"])
        try release(id, "10.1.0.2")
        try release(id, "10.1.0.5")
        XCTAssertEqual(try address(id), "10.1.0.2", "wraps round past the broadcast and network addresses")
        try release(id, "10.1.0.3")
        XCTAssertEqual(try address(id), "10.1.0.3", "then continues after the cursor")
        XCTAssertEqual(try address(id), "10.1.0.5")
        assertThrows(.poolExhausted(IPPrefix("10.1.0.0/29")!, poolID: id)) { try address(id) }
    }

    func testSlash31And32() throws {
        let p31 = try pool("10.2.0.0/31").id
        XCTAssertEqual(try address(p31), "10.2.0.0")
        XCTAssertEqual(try address(p31), "10.2.0.1")
        assertThrows(.poolExhausted(IPPrefix("10.2.0.0/31")!, poolID: p31)) { try address(p31) }
        let p32 = try pool("10.3.0.7/32").id
        XCTAssertEqual(try address(p32, gateway: true), "10.3.0.7")
        assertThrows(.poolExhausted(IPPrefix("10.3.0.7/32")!, poolID: p32)) { try address(p32) }
    }

    func testNetworkAndBroadcastAreNeverHandedOut() throws {
        let id = try pool("10.4.0.0/24").id
        assertThrows(.reservedAddress(IPAddress("10.4.0.0")!, pool: IPPrefix("10.4.0.0/24")!)) { try address(id, "10.4.0.0") }
        assertThrows(.reservedAddress(IPAddress("10.4.0.255")!, pool: IPPrefix("10.4.0.0/24")!)) { try address(id, "10.4.0.255") }
        assertThrows(.addressOutOfRange(IPAddress("10.5.0.1")!, pool: IPPrefix("10.4.0.0/24")!)) { try address(id, "10.5.0.1") }
        assertThrows(.invalidAddress("10.4.0.300")) { try address(id, "10.4.0.300") }
        XCTAssertEqual(try address(id, "10.4.0.9"), "10.4.0.9")
        assertThrows(.addressInUse(IPAddress("10.4.0.9")!, pool: IPPrefix("10.4.0.0/24")!)) { try address(id, "10.4.0.9") }
        assertThrows(.unknownPool("LocalDefault/10.9.9.0/24")) { try address("LocalDefault/10.9.9.0/24") }
        assertThrows(.invalidPoolID("garbage")) { try address("garbage") }
    }

    func testSlash8FillsWithFlatCost() throws {
        let id = try pool("10.0.0.0/8").id
        var generator = SystemRandomNumberGenerator()
        // Fill most of the pool through preferred addresses is too slow for a unit test;
        // fill it dynamically in two long runs and check the cost stays per-allocation.
        let clock = ContinuousClock()
        let firstBatch = clock.measure { for _ in 0..<100_000 { _ = try? address(id) } }
        for _ in 0..<800_000 { _ = try? address(id) }
        let lateBatch = clock.measure { for _ in 0..<100_000 { _ = try? address(id) } }
        XCTAssertEqual(ipam.usage(ofPool: id)?.allocated, 1_000_000)
        // Not a timing assertion on the machine: a ratio between two batches of the same run,
        // with a wide margin; a scan of used addresses would make the late batch ~20x slower.
        XCTAssertLessThan(lateBatch / firstBatch, 5, "first \(firstBatch), late \(lateBatch)")
        let random = IPAddress("10.\(Int.random(in: 100...200, using: &generator)).3.4")!
        XCTAssertEqual(try address(id, random.description), random.description)
    }

    func testIPv6Slash64() throws {
        let id = try pool("fd00:1:2:3::/64", v6: true).id
        XCTAssertEqual(try address(id, gateway: true), "fd00:1:2:3::1")
        XCTAssertEqual(try address(id), "fd00:1:2:3::2")
        XCTAssertEqual(try address(id, "fd00:1:2:3:ffff:ffff:ffff:ffff"), "fd00:1:2:3:ffff:ffff:ffff:ffff")
        assertThrows(.reservedAddress(IPAddress("fd00:1:2:3::")!, pool: IPPrefix("fd00:1:2:3::/64")!)) {
            try address(id, "fd00:1:2:3::")
        }
        XCTAssertEqual(try address(id), "fd00:1:2:3::3")
        XCTAssertEqual(ipam.usage(ofPool: id)?.capacity, UInt128(1) << 64 - 1)
    }

    func testSubPoolDrawsDynamicAddressesFromTheRange() throws {
        let record = try pool("10.6.0.0/16", sub: "10.6.3.0/30")
        XCTAssertEqual(record.id, "LocalDefault/10.6.0.0/16/10.6.3.0/30")
        XCTAssertEqual(try address(record.id, gateway: true), "10.6.0.1", "the gateway is the pool's first address")
        XCTAssertEqual(try (0..<4).map { _ in try address(record.id) }, ["10.6.3.0", "10.6.3.1", "10.6.3.2", "10.6.3.3"])
        assertThrows(.poolExhausted(IPPrefix("10.6.0.0/16")!, poolID: record.id)) { try address(record.id) }
        XCTAssertEqual(try address(record.id, "10.6.200.7"), "10.6.200.7", "preferred addresses may be anywhere in the pool")
    }

    func testStickyNamesGetTheirAddressBack() throws {
        let id = try pool("10.7.0.0/24").id
        try address(id, gateway: true)
        let web = try address(id, name: "web")
        let db = try address(id, name: "db")
        try release(id, web)
        try release(id, db)
        XCTAssertEqual(try address(id, name: "other"), "10.7.0.4", "others do not take released addresses at once")
        XCTAssertEqual(try address(id, name: "db"), db)
        XCTAssertEqual(try address(id, name: "web"), web)
        // If the old address is taken, the name gets a new one and keeps it from then on.
        try release(id, web)
        XCTAssertEqual(try address(id, web), web)
        let moved = try address(id, name: "web")
        XCTAssertNotEqual(moved, web)
        XCTAssertEqual(ipam.stickyAddress(poolID: id, name: "web")?.description, moved)
    }

    func testStickyOptOut() throws {
        let id = try pool("10.8.0.0/24", options: ["swiftnet.sticky": "false"]).id
        let first = try address(id, name: "web")
        try release(id, first)
        XCTAssertNotEqual(try address(id, name: "web"), first)
    }

    func testReleaseOfWhatIsNotHeld() throws {
        let id = try pool("10.9.0.0/24").id
        XCTAssertEqual(try ipam.planReleaseAddress(poolID: id, address: "10.9.0.77"), .notAllocated)
        XCTAssertEqual(try ipam.planReleaseAddress(poolID: "LocalDefault/10.10.0.0/24", address: "10.10.0.1"), .unknownPool)
        XCTAssertThrowsError(try ipam.planReleaseAddress(poolID: id, address: "nonsense"))
    }

    func testRebuildFromSnapshotKeepsEverything() throws {
        let record = try pool("10.11.0.0/24")
        let gateway = try address(record.id, gateway: true)
        let web = try address(record.id, name: "web")
        try release(record.id, web)
        let other = try address(record.id)
        // What a store would have recorded.
        let snapshot = IPAMSnapshot(
            pools: [ipam.pool(record.id)!],
            used: [record.id: [IPAddress(gateway)!, IPAddress(other)!]],
            cursors: [record.id: (IPAddress(other)!, 2)],
            sticky: [StickyRecord(poolID: record.id, name: "web", address: IPAddress(web)!)])
        var rebuilt = IPAMAllocator(configuration: ipam.configuration, snapshot: snapshot)
        let next = try rebuilt.planRequestAddress(.init(poolID: record.id))
        let expected = try ipam.planRequestAddress(.init(poolID: record.id))
        XCTAssertEqual(next, expected, "the cursor survives")
        rebuilt.apply(next)
        XCTAssertEqual(rebuilt.usage(ofPool: record.id)?.allocated, 3)
        XCTAssertThrowsError(try rebuilt.planRequestAddress(.init(poolID: record.id, address: other)))
        XCTAssertEqual(rebuilt.stickyAddress(poolID: record.id, name: "web")?.description, web)
    }

    /// An identical explicit request is only a candidate for a crash retry (the service
    /// decides); planned on its own it is a second network on the same subnet: an overlap.
    func testIdenticalPoolRequestIsACandidateButPlannedAsAnOverlap() throws {
        let record = try pool("10.12.0.0/24")
        let request = IPAMAllocator.PoolRequest(addressSpace: "LocalDefault", pool: "10.12.0.0/24")
        XCTAssertEqual(ipam.poolOfRepeatedRequest(request), record, "an empty pool: a candidate")
        let subnet = IPPrefix("10.12.0.0/24")!
        assertThrows(.poolOverlap(requested: subnet, existing: subnet)) { _ = try ipam.planRequestPool(request, hostRoutes: { [] }) }
        try address(record.id, gateway: true)
        XCTAssertNil(ipam.poolOfRepeatedRequest(request), "a pool in use is not even a candidate")
    }

    // MARK: two containers of one name (docker rename, compose recreate)

    /// `docker run --name web; docker rename web web-old; docker run --name web`: Docker 29
    /// names both requests "web". The second gets its own address; releasing the first leaves
    /// the second's address, its holder name and its sticky entry alone.
    func testTwoHoldersOfOneNameEachKeepTheirOwnAddress() throws {
        let id = try pool("10.13.0.0/24").id
        try address(id, gateway: true)
        let old = try address(id, name: "web")
        let new = try address(id, name: "web")
        XCTAssertNotEqual(new, old, "the renamed container still holds \(old)")
        XCTAssertEqual(ipam.holderName(poolID: id, address: IPAddress(old)!), "web")
        XCTAssertEqual(ipam.holderName(poolID: id, address: IPAddress(new)!), "web")
        XCTAssertEqual(ipam.stickyAddress(poolID: id, name: "web")?.description, new)
        try release(id, old)  // docker rm -f web-old
        XCTAssertEqual(ipam.holderName(poolID: id, address: IPAddress(new)!), "web", "the new holder is not forgotten")
        XCTAssertNil(ipam.holderName(poolID: id, address: IPAddress(old)!))
        assertThrows(.addressInUse(IPAddress(new)!, pool: IPPrefix("10.13.0.0/24")!)) { try address(id, new) }
        XCTAssertEqual(ipam.stickyAddress(poolID: id, name: "web")?.description, new)
        XCTAssertEqual(ipam.usage(ofPool: id)?.allocated, 2)
    }

    // MARK: the sticky table's bounds

    func testStickyTableKeepsOneNamePerAddressAndAtMostItsBound() throws {
        ipam = IPAMAllocator(configuration: IPAMConfiguration(localBases: PoolBase.dockerLocalV4, globalBases: [],
                                                              stickyNamesPerPool: 4))
        let small = try pool("10.14.0.0/28").id  // 14 addresses
        let large = try pool("10.15.0.0/16").id
        for round in 0..<20 {
            // `docker run --rm` without a name: a new generated name each time.
            try release(small, try address(small, name: "gen-\(round)"))
            try release(large, try address(large, name: "gen-\(round)"))
        }
        XCTAssertEqual(ipam.stickyCount(poolID: small), 4)
        XCTAssertEqual(ipam.stickyCount(poolID: large), 4)
        XCTAssertEqual(ipam.stickyAddress(poolID: large, name: "gen-19")?.description, "10.15.0.20", "the newest stay")
        XCTAssertNil(ipam.stickyAddress(poolID: large, name: "gen-15"), "the least recently used go")

        ipam = IPAMAllocator(configuration: .dockerDefaults(ulaGlobalID: 1))
        let slash28 = try pool("10.14.0.0/28").id
        for round in 0..<20 { try release(slash28, try address(slash28, name: "gen-\(round)")) }
        XCTAssertEqual(ipam.stickyCount(poolID: slash28), 14, "addresses wrap: a new name replaces the name its address had")
    }

    /// A name used again moves to the back: the one forgotten is the least recently used,
    /// not the first remembered.
    func testStickyNamesAreForgottenLeastRecentlyUsedFirst() throws {
        ipam = IPAMAllocator(configuration: IPAMConfiguration(localBases: PoolBase.dockerLocalV4, globalBases: [],
                                                              stickyNamesPerPool: 3))
        let id = try pool("10.16.0.0/24").id
        let web = try address(id, name: "web")
        try address(id, name: "db")
        try address(id, name: "cache")
        try release(id, web)
        XCTAssertEqual(try address(id, name: "web"), web, "web recreated: used again")
        try address(id, name: "worker")
        XCTAssertNil(ipam.stickyAddress(poolID: id, name: "db"), "db was the least recently used")
        XCTAssertEqual(ipam.stickyAddress(poolID: id, name: "web")?.description, web)
        XCTAssertEqual(ipam.stickyCount(poolID: id), 3)
    }

    /// A table stored before the bounds existed is brought within them when loaded, and the
    /// names left out are reported for the store to delete.
    func testRestoringAppliesTheBoundsToAnOldTable() throws {
        let record = PoolRecord(id: "LocalDefault/10.17.0.0/24", addressSpace: "LocalDefault", prefix: IPPrefix("10.17.0.0/24")!,
                                subPool: nil, options: [:])
        var sticky = (0..<10).map { StickyRecord(poolID: record.id, name: "n\($0)", address: IPAddress("10.17.0.\($0 + 2)")!) }
        // Two names for one address: the one holding it now is kept.
        sticky.insert(StickyRecord(poolID: record.id, name: "holder", address: IPAddress("10.17.0.11")!), at: 0)
        let snapshot = IPAMSnapshot(pools: [record], used: [record.id: [IPAddress("10.17.0.11")!]], sticky: sticky,
                                    named: [record.id: [(IPAddress("10.17.0.11")!, "holder")]])
        let configuration = IPAMConfiguration(localBases: PoolBase.dockerLocalV4, globalBases: [], stickyNamesPerPool: 5)
        let (restored, forgotten) = IPAMAllocator.restoring(configuration: configuration, snapshot: snapshot)
        XCTAssertEqual(restored.stickyCount(poolID: record.id), 5)
        XCTAssertEqual(forgotten.count, 6)
        XCTAssertEqual(restored.stickyAddress(poolID: record.id, name: "holder")?.description, "10.17.0.11")
        XCTAssertNil(restored.stickyAddress(poolID: record.id, name: "n9"), "n9's address went to its holder")
        XCTAssertTrue(forgotten.contains { $0.name == "n9" })
        XCTAssertEqual(Set(forgotten.map(\.name)).count, 6)
        let kept = Set((0..<10).map { "n\($0)" }).subtracting(forgotten.map(\.name))
        XCTAssertEqual(kept, ["n5", "n6", "n7", "n8"], "the most recent are kept: \(kept)")
    }

    /// A pool with `--ip-range` counts what it handed out there against the range's capacity:
    /// it is full for dynamic requests when those meet, however empty the subnet.
    func testRangeUsageCountsTheRangeOnly() throws {
        let id = try pool("10.93.0.0/24", sub: "10.93.0.8/30").id
        XCTAssertEqual(ipam.rangeUsage(ofPool: id)?.capacity, 4)
        let first = try address(id)
        try address(id)
        try address(id, "10.93.0.200")
        XCTAssertEqual(ipam.usage(ofPool: id)?.allocated, 3)
        XCTAssertEqual(ipam.rangeUsage(ofPool: id)?.allocated, 2)
        try release(id, first)
        XCTAssertEqual(ipam.rangeUsage(ofPool: id)?.allocated, 1)
        XCTAssertNil(ipam.rangeUsage(ofPool: try pool("10.94.0.0/24").id))
        XCTAssertEqual(try pool("10.95.0.0/24", sub: "10.95.0.0/25").id.isEmpty, false)
        XCTAssertEqual(ipam.rangeUsage(ofPool: "LocalDefault/10.95.0.0/24/10.95.0.0/25")?.capacity, 127, "the network address is not handed out")
    }
}
