import Foundation
import SwiftnetAddress
import SwiftnetIPAM
import Synchronization
import XCTest
@testable import SwiftnetStore

/// Pools for networks on a LAN (macvlan/ipvlan): `swiftnet.scope` lets two LANs behind two
/// links share a subnet, `swiftnet.probe=arp` skips addresses someone on the LAN answers for.
/// The IPAM service over a real state file; the LAN is a fake `AddressProbe` (the real ARP
/// probe is tested in namespaces).
final class LANPoolTests: XCTestCase {
    var folder: String!
    var service: IPAMService!
    let lan = FakeLAN()

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "swiftnet-lan-\(UUID().uuidString)"
        service = try IPAMService(configuration: .dockerDefaults(ulaGlobalID: 1), store: try StateStore(path: folder + "/state.db"),
                                  routes: FixedRoutes(), probe: lan)
    }

    override func tearDownWithError() throws {
        service = nil
        try? FileManager.default.removeItem(atPath: folder)
    }

    func pool(_ prefix: String, _ options: [String: String]) throws -> PoolRecord {
        try service.requestPool(.init(addressSpace: "LocalDefault", pool: prefix, options: options))
    }

    func testPoolsOfDifferentScopesMayOverlapOthersMayNot() throws {
        let first = try pool("192.168.1.0/24", ["swiftnet.scope": "eth1"])
        let second = try pool("192.168.1.0/24", ["swiftnet.scope": "eth2"])
        XCTAssertEqual(first.id, "LocalDefault/192.168.1.0/24/scope:eth1")
        XCTAssertEqual(second.id, "LocalDefault/192.168.1.0/24/scope:eth2")
        XCTAssertThrowsError(try pool("192.168.1.0/25", ["swiftnet.scope": "eth1"]), "same scope: one LAN, overlap refused") {
            XCTAssertTrue("\($0)".contains("overlaps"), "\($0)")
        }
        XCTAssertThrowsError(try pool("192.168.1.0/24", [:]), "an unscoped pool overlaps every pool")
        // Each pool hands out its own addresses.
        XCTAssertEqual(try service.requestAddress(.init(poolID: first.id)).cidr, "192.168.1.1/24")
        XCTAssertEqual(try service.requestAddress(.init(poolID: second.id)).cidr, "192.168.1.1/24")
        // A scoped id is a pool id like any other; a malformed scope suffix is not.
        XCTAssertThrowsError(try service.requestAddress(.init(poolID: "LocalDefault/192.168.1.0/24/scope:eth9"))) {
            XCTAssertEqual($0 as? IPAMError, .unknownPool("LocalDefault/192.168.1.0/24/scope:eth9"))
        }
        XCTAssertThrowsError(try service.requestAddress(.init(poolID: "LocalDefault/192.168.1.0/24/scope:a b"))) {
            XCTAssertEqual($0 as? IPAMError, .invalidPoolID("LocalDefault/192.168.1.0/24/scope:a b"))
        }
    }

    func testScopeMustBeALinkNameAndProbeMustBeARP() throws {
        for bad in ["", "eth0:1", "a/b", "has space", "sixteen-bytes-xx"] {
            XCTAssertThrowsError(try pool("10.77.0.0/24", ["swiftnet.scope": bad]), bad) {
                XCTAssertTrue("\($0)".contains("swiftnet.scope"), "\($0)")
            }
        }
        XCTAssertThrowsError(try pool("10.77.0.0/24", ["swiftnet.probe": "icmp"])) {
            XCTAssertEqual($0 as? IPAMError, .invalidOption(key: "swiftnet.probe", value: "icmp", expected: "arp"))
        }
        XCTAssertEqual(service.snapshot().poolIDs, [], "refused requests make no pool")
    }

    func testProbedPoolSkipsAddressesThatAnswerAndNeverProbesGatewaysOrNamedAddresses() throws {
        let record = try pool("192.168.5.0/24", ["swiftnet.scope": "eth1", "swiftnet.probe": "arp"])
        lan.answering = ["192.168.5.1", "192.168.5.2", "192.168.5.3", "192.168.5.20"]
        // The LAN's router is the gateway: it answers, and must be allowed to.
        XCTAssertEqual(try service.requestAddress(.init(poolID: record.id, address: "192.168.5.1",
                                                        options: ["RequestAddressType": "com.docker.network.gateway"])).cidr,
                       "192.168.5.1/24")
        XCTAssertEqual(try service.requestAddress(.init(poolID: record.id)).cidr, "192.168.5.4/24", ".2 and .3 answered")
        XCTAssertEqual(lan.probed, ["192.168.5.2", "192.168.5.3", "192.168.5.4"])
        XCTAssertEqual(try service.requestAddress(.init(poolID: record.id, address: "192.168.5.20")).cidr, "192.168.5.20/24",
                       "an address asked for by value is the user's choice")
        XCTAssertEqual(lan.probed.count, 3)
        // The ones that answered were given back: not held, not leaked.
        let usage = service.snapshot().usage(ofPool: record.id)
        XCTAssertEqual(usage?.allocated, 3, "gateway, .4 and .20")
    }

    func testEveryAddressAnsweringFailsWithTheAddressesAndHoldsNothing() throws {
        let record = try pool("192.168.6.0/24", ["swiftnet.scope": "eth1", "swiftnet.probe": "arp"])
        lan.answering = Set((1...40).map { "192.168.6.\($0)" })
        XCTAssertThrowsError(try service.requestAddress(.init(poolID: record.id))) {
            XCTAssertTrue("\($0)".contains("192.168.6.1, 192.168.6.2"), "\($0)")
            XCTAssertTrue("\($0)".contains("answered on the link"), "\($0)")
        }
        XCTAssertEqual(lan.probed.count, IPAMService.probeAttempts)
        XCTAssertEqual(service.snapshot().usage(ofPool: record.id)?.allocated, 0)
    }

    func testAProbeThatCannotRunFailsTheRequestAndHoldsNothing() throws {
        let record = try pool("192.168.7.0/24", ["swiftnet.scope": "eth1", "swiftnet.probe": "arp"])
        lan.failure = "link eth1 is down"
        XCTAssertThrowsError(try service.requestAddress(.init(poolID: record.id))) {
            XCTAssertTrue("\($0)".contains("link eth1 is down"), "\($0)")
        }
        XCTAssertEqual(service.snapshot().usage(ofPool: record.id)?.allocated, 0)
    }

    func testUnprobedPoolsNeverAskTheLAN() throws {
        let record = try pool("192.168.8.0/24", ["swiftnet.scope": "eth1"])
        lan.answering = ["192.168.8.1"]
        XCTAssertEqual(try service.requestAddress(.init(poolID: record.id)).cidr, "192.168.8.1/24")
        XCTAssertEqual(lan.probed, [])
    }

    func testStickyNameWhoseAddressNowAnswersGetsAnother() throws {
        let record = try pool("192.168.9.0/24", ["swiftnet.scope": "eth1", "swiftnet.probe": "arp"])
        let named = IPAMAllocator.AddressRequest(poolID: record.id, options: ["com.docker.network.endpoint.name": "web"])
        let first = try service.requestAddress(named)
        _ = try service.releaseAddress(poolID: record.id, address: first.address.description)
        lan.answering = [first.address.description]
        XCTAssertNotEqual(try service.requestAddress(named).address, first.address)
    }

    func testReleaseInASharedSubnetTakesTheScopeIntoAccount() throws {
        let first = try pool("192.168.10.0/24", ["swiftnet.scope": "eth1"])
        let second = try pool("192.168.10.0/24", ["swiftnet.scope": "eth2"])
        let address = IPAddress("192.168.10.7")!
        for pool in [first, second] { _ = try service.requestAddress(.init(poolID: pool.id, address: "192.168.10.7")) }
        XCTAssertTrue(try service.release(address: address, inSubnet: IPPrefix("192.168.10.0/24")!, scope: "eth2"))
        XCTAssertEqual(service.snapshot().usage(ofPool: second.id)?.allocated, 0)
        XCTAssertEqual(service.snapshot().usage(ofPool: first.id)?.allocated, 1, "the other LAN's holder keeps it")
        XCTAssertFalse(try service.release(address: address, inSubnet: IPPrefix("192.168.10.0/24")!, scope: nil),
                       "no scope given: neither scoped pool is guessed at")
    }

    /// The driver says an endpoint holds every address (`AddressHolders`): a release is refused
    /// where the pool's network can be told (its scope names the LAN, or no other pool has its
    /// prefix) and allowed where it cannot (two address spaces holding one prefix), so that an
    /// endpoint of the other pool's network never keeps this pool's address for ever.
    func testAReleaseIsRefusedOnlyWhereThePoolsNetworkCanBeTold() throws {
        struct EverythingHeld: AddressHolders {
            func holder(of address: IPAddress, in pool: PoolRecord) -> String? { "endpoint e of network n" }
            func isHeldByAnyEndpoint(_ address: IPAddress) -> Bool { true }
        }
        service.consult(EverythingHeld())
        let scoped = try pool("192.168.7.0/24", ["swiftnet.scope": "eth1"])
        let local = try pool("10.78.0.0/24", [:])
        for id in [scoped.id, local.id] {
            let address = try service.requestAddress(.init(poolID: id)).address
            XCTAssertThrowsError(try service.releaseAddress(poolID: id, address: address.description), id) {
                XCTAssertTrue("\($0)".contains("endpoint e of network n still holds it"), "\($0)")
            }
        }
        let global = try service.requestPool(.init(addressSpace: "GlobalDefault", pool: "10.78.0.0/24", options: [:]))
        for id in [local.id, global.id] {
            let address = try service.requestAddress(.init(poolID: id)).address
            XCTAssertNoThrow(try service.releaseAddress(poolID: id, address: address.description), "\(id): two pools, one prefix")
        }
    }
}

/// The LAN as the IPAM sees it through `AddressProbe`: the addresses that answer.
final class FakeLAN: AddressProbe, @unchecked Sendable {
    private let lock = NSLock()
    private var _answering: Set<String> = []
    private var _probed: [String] = []
    private var _failure: String?

    var answering: Set<String> {
        get { lock.withLock { _answering } }
        set { lock.withLock { _answering = newValue } }
    }
    var failure: String? {
        get { lock.withLock { _failure } }
        set { lock.withLock { _failure = newValue } }
    }
    var probed: [String] { lock.withLock { _probed } }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func isInUse(_ address: IPAddress, pool: PoolRecord) throws -> Bool {
        try lock.withLock {
            if let failure = _failure { throw Failure(description: failure) }
            _probed.append(address.description)
            return _answering.contains(address.description)
        }
    }
}
