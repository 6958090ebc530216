import XCTest
import SwiftnetEtcd
import SwiftnetAddress
@testable import SwiftnetMultiHost

/// The pure decisions: subnets and VNIs of new networks, address candidates, the remote table.
final class PlanningTests: XCTestCase {
    func network(_ name: String, _ subnet: String, vni: UInt32 = 5000) -> LogicalNetwork {
        let prefix = IPPrefix(subnet)!
        return LogicalNetwork(name: name, subnet: prefix, gateway: prefix.address(atOrdinal: 1), vni: vni, createdBy: "h1")
    }

    func testRequestedSubnetIsKeptAndAnOverlapIsRefusedNamingTheOtherNetwork() throws {
        let plan = LogicalNetworkPlan()
        let blue = try plan.plan(name: "blue", requestedSubnet: IPPrefix("10.70.0.0/16"), host: "h1", existing: [])
        XCTAssertEqual(blue.subnet, IPPrefix("10.70.0.0/16"))
        XCTAssertEqual(blue.gateway, IPAddress("10.70.0.1"))
        XCTAssertEqual(blue.createdBy, "h1")
        XCTAssertThrowsError(try plan.plan(name: "red", requestedSubnet: IPPrefix("10.70.3.0/24"), host: "h1", existing: [blue])) {
            XCTAssertEqual($0 as? MultiHostError, .subnetOverlaps(requested: IPPrefix("10.70.3.0/24")!, network: "blue", subnet: blue.subnet))
        }
        XCTAssertThrowsError(try plan.plan(name: "v6", requestedSubnet: IPPrefix("fd00::/64"), host: "h1", existing: []))
        XCTAssertThrowsError(try plan.plan(name: "tiny", requestedSubnet: IPPrefix("10.1.1.0/31"), host: "h1", existing: []))
        for bad in ["", "a/b", "..", "x y", String(repeating: "a", count: 65)] {
            XCTAssertThrowsError(try plan.plan(name: bad, requestedSubnet: nil, host: "h1", existing: []), bad)
        }
    }

    func testSpecialPurposeSubnetsAreRefusedAndSizeOnlyOnesAreAnyFreeSubnetOfThatSize() throws {
        let plan = LogicalNetworkPlan()
        for subnet in ["127.0.0.0/24", "224.0.0.0/24", "169.254.0.0/24", "240.0.0.0/24", "0.0.1.0/24"] {
            XCTAssertThrowsError(try plan.plan(name: "x", requestedSubnet: IPPrefix(subnet), host: "h1", existing: []), subnet) {
                guard case .invalidSubnet(_, let reason)? = $0 as? MultiHostError else { return XCTFail("\($0)") }
                XCTAssertTrue(reason.contains("special-purpose"), reason)
            }
        }
        // Docker 29's `--subnet 0.0.0.0/26`: any free /26 of the automatic pool, past those taken.
        let taken = [network("a", "10.208.0.0/20")]
        XCTAssertEqual(try plan.plan(name: "z", requestedSubnet: IPPrefix("0.0.0.0/26"), host: "h", existing: taken).subnet,
                       IPPrefix("10.208.16.0/26"))
        XCTAssertThrowsError(try plan.plan(name: "big", requestedSubnet: IPPrefix("0.0.0.0/8"), host: "h", existing: [])) {
            XCTAssertTrue("\($0)".contains("larger than the automatic pool"), "\($0)")
        }
        XCTAssertEqual(LogicalNetworkPlan.sizeOnly(IPPrefix("0.0.0.0/26")!), 26)
        XCTAssertNil(LogicalNetworkPlan.sizeOnly(IPPrefix("10.0.0.0/26")!))
    }

    func testAutomaticSubnetsComeFromThePoolInOrderSkippingTakenOnesUntilExhausted() throws {
        let plan = LogicalNetworkPlan(automaticPool: IPPrefix("10.208.0.0/22")!, automaticPrefixLength: 24)
        let taken = [network("a", "10.208.0.0/24"), network("b", "10.208.2.0/23", vni: 5001)]
        XCTAssertEqual(try plan.plan(name: "c", requestedSubnet: nil, host: "h", existing: taken).subnet, IPPrefix("10.208.1.0/24"))
        let full = taken + [network("c", "10.208.1.0/24", vni: 5002)]
        XCTAssertThrowsError(try plan.plan(name: "d", requestedSubnet: nil, host: "h", existing: full)) {
            XCTAssertEqual($0 as? MultiHostError, .poolExhausted(IPPrefix("10.208.0.0/22")!, prefixLength: 24))
        }
        XCTAssertEqual(try LogicalNetworkPlan().plan(name: "x", requestedSubnet: nil, host: "h", existing: []).subnet,
                       IPPrefix("10.208.0.0/20"))
    }

    func testVNIIsAStableHashOfTheNameInRangeAndProbesPastTakenOnes() throws {
        let plan = LogicalNetworkPlan()
        let first = try plan.vni(for: "blue", taken: [])
        XCTAssertEqual(try plan.vni(for: "blue", taken: []), first)
        XCTAssertTrue(LogicalNetwork.vniRange.contains(first))
        let next = try plan.vni(for: "blue", taken: [first])
        XCTAssertNotEqual(next, first)
        XCTAssertTrue(LogicalNetwork.vniRange.contains(next))
        XCTAssertNotEqual(try plan.vni(for: "red", taken: []), first)
    }

    func testCandidatesAreFreeUnreservedAndAmongTheLowestFree() {
        let blue = network("blue", "10.70.0.0/24")
        let held: Set<IPAddress> = [IPAddress("10.70.0.2")!, IPAddress("10.70.0.3")!]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            let picked = AddressCandidates(spread: 8).pick(4, in: blue, held: held, using: &generator)
            XCTAssertEqual(picked.count, 4)
            XCTAssertEqual(Set(picked).count, 4)
            for address in picked {
                XCTAssertFalse(held.contains(address) || blue.isReserved(address), "\(address)")
                XCTAssertTrue((4...11).contains(Int(blue.subnet.ordinal(of: address)!)), "\(address) is not among the 8 lowest free")
            }
        }
        let all = Set((2...254).map { IPAddress("10.70.0.\($0)")! })
        XCTAssertEqual(AddressCandidates().pick(4, in: blue, held: all, using: &generator), [], "full: nothing to try")
        XCTAssertTrue(blue.isReserved(IPAddress("10.70.0.0")!) && blue.isReserved(IPAddress("10.70.0.1")!) && blue.isReserved(IPAddress("10.70.0.255")!))
    }
}

final class RemoteEndpointTableTests: XCTestCase {
    let keys = MultiHostKeys()

    func kv(_ network: String, _ ip: String, mac: String, host: String, underlay: String, revision: Int64) -> EtcdKeyValue {
        EtcdKeyValue(key: keys.endpoint(network, IPAddress(ip)!),
                     value: #"{"mac":"\#(mac)","host":"\#(host)","underlay":"\#(underlay)"}"#, modRevision: revision)
    }

    func location(_ network: String, _ ip: String, mac: String, host: String, underlay: String) -> EndpointLocation {
        EndpointLocation(network: network, address: IPAddress(ip)!, mac: MACText.parse(mac)!, host: host, underlay: IPAddress(underlay)!)
    }

    func testResetAndEventsYieldTheChangesOfRemoteEndpointsOnlyAndSkipReplays() {
        var table = RemoteEndpointTable(localHost: "h1")
        let a = kv("blue", "10.70.0.2", mac: "02:00:00:00:00:02", host: "h2", underlay: "10.99.0.2", revision: 5)
        let own = kv("blue", "10.70.0.3", mac: "02:00:00:00:00:03", host: "h1", underlay: "10.99.0.1", revision: 6)
        let junk = EtcdKeyValue(key: keys.allEndpoints + "blue/not-an-ip", value: "{}", modRevision: 6)
        XCTAssertEqual(table.reset(to: [a, own, junk], revision: 7),
                       [.added(location("blue", "10.70.0.2", mac: "02:00:00:00:00:02", host: "h2", underlay: "10.99.0.2"))])
        XCTAssertEqual(table.revision, 7)
        XCTAssertEqual(Array(table.unreadable.keys), [junk.key])

        // One transaction (same revision): a new endpoint and a moved one.
        let b = kv("blue", "10.70.0.4", mac: "02:00:00:00:00:04", host: "h3", underlay: "10.99.0.3", revision: 8)
        var moved = kv("blue", "10.70.0.2", mac: "02:00:00:00:00:22", host: "h3", underlay: "10.99.0.3", revision: 8)
        let changes = table.apply(EtcdWatchResponse(revision: 8, events: [EtcdWatchEvent(kind: .put, keyValue: b),
                                                                          EtcdWatchEvent(kind: .put, keyValue: moved)]))
        XCTAssertEqual(changes, [
            .added(location("blue", "10.70.0.4", mac: "02:00:00:00:00:04", host: "h3", underlay: "10.99.0.3")),
            .removed(location("blue", "10.70.0.2", mac: "02:00:00:00:00:02", host: "h2", underlay: "10.99.0.2")),
            .added(location("blue", "10.70.0.2", mac: "02:00:00:00:00:22", host: "h3", underlay: "10.99.0.3")),
        ])
        // Replayed after a resume: nothing.
        XCTAssertEqual(table.apply(EtcdWatchResponse(revision: 8, events: [EtcdWatchEvent(kind: .put, keyValue: b)])), [])
        moved.modRevision = 9
        moved.value = ""
        XCTAssertEqual(table.apply(EtcdWatchResponse(revision: 9, events: [EtcdWatchEvent(kind: .delete, keyValue: moved)])),
                       [.removed(location("blue", "10.70.0.2", mac: "02:00:00:00:00:22", host: "h3", underlay: "10.99.0.3"))])
        XCTAssertEqual(table.entries.map(\.address.description), ["10.70.0.4"])
        XCTAssertEqual(table.names(of: "blue"), [:], "no endpoint had a name")
        // Own endpoints never appear; a progress notice moves the revision.
        var ownLater = own
        ownLater.modRevision = 10
        XCTAssertEqual(table.apply(EtcdWatchResponse(revision: 10, events: [EtcdWatchEvent(kind: .put, keyValue: ownLater)])), [])
        XCTAssertEqual(table.apply(EtcdWatchResponse(revision: 15, events: [])), [])
        XCTAssertEqual(table.revision, 15)

        // Names for DNS: every host's endpoints, this one's included; a delete forgets the name.
        let named = EtcdKeyValue(key: keys.endpoint("blue", IPAddress("10.70.0.7")!),
                                 value: #"{"mac":"02:00:00:00:00:07","host":"h1","underlay":"10.99.0.1","name":"frontend"}"#, modRevision: 16)
        let remoteNamed = EtcdKeyValue(key: keys.endpoint("blue", IPAddress("10.70.0.8")!),
                                       value: #"{"mac":"02:00:00:00:00:08","host":"h2","underlay":"10.99.0.2","name":"backend"}"#, modRevision: 16)
        XCTAssertEqual(table.apply(EtcdWatchResponse(revision: 16, events: [EtcdWatchEvent(kind: .put, keyValue: named),
                                                                            EtcdWatchEvent(kind: .put, keyValue: remoteNamed)])).count, 1)
        XCTAssertEqual(table.names(of: "blue"), ["frontend": [IPAddress("10.70.0.7")!], "backend": [IPAddress("10.70.0.8")!]])
        XCTAssertEqual(table.names(of: "red"), [:])
        var gone = remoteNamed
        gone.modRevision = 17
        _ = table.apply(EtcdWatchResponse(revision: 17, events: [EtcdWatchEvent(kind: .delete, keyValue: gone)]))
        XCTAssertEqual(table.names(of: "blue"), ["frontend": [IPAddress("10.70.0.7")!]])
        var ownGone = named
        ownGone.modRevision = 18
        _ = table.apply(EtcdWatchResponse(revision: 18, events: [EtcdWatchEvent(kind: .delete, keyValue: ownGone)]))

        // A full read after compaction: the difference only.
        let c = kv("red", "10.71.0.2", mac: "02:00:00:00:01:02", host: "h2", underlay: "10.99.0.2", revision: 20)
        XCTAssertEqual(table.reset(to: [b, c], revision: 21),
                       [.added(location("red", "10.71.0.2", mac: "02:00:00:00:01:02", host: "h2", underlay: "10.99.0.2"))])
        XCTAssertEqual(table.reset(to: [c], revision: 22),
                       [.removed(location("blue", "10.70.0.4", mac: "02:00:00:00:00:04", host: "h3", underlay: "10.99.0.3"))])
    }
}

final class DataplaneDriftTests: XCTestCase {
    func testDriftListsWhatToAddAndDeleteAndAMovedEndpointIsBoth() {
        let a = EndpointLocation(network: "blue", address: IPAddress("10.70.0.2")!, mac: [2, 0, 0, 0, 0, 2], host: "h2", underlay: IPAddress("10.99.0.2")!)
        let b = EndpointLocation(network: "blue", address: IPAddress("10.70.0.3")!, mac: [2, 0, 0, 0, 0, 3], host: "h3", underlay: IPAddress("10.99.0.3")!)
        typealias F = DataplaneDrift.Forwarding
        typealias N = DataplaneDrift.Neighbour
        let inSync = DataplaneDrift(desired: [a, b],
                                    forwarding: [F(mac: a.mac, destination: a.underlay), F(mac: b.mac, destination: b.underlay)],
                                    neighbours: [N(address: a.address, mac: a.mac), N(address: b.address, mac: b.mac)])
        XCTAssertTrue(inSync.isEmpty)

        // b moved to h2's underlay in the kernel's view; a stale entry for a gone endpoint; a's
        // neighbour missing.
        let gone = F(mac: [2, 0, 0, 0, 0, 9], destination: IPAddress("10.99.0.3")!)
        let drift = DataplaneDrift(desired: [a, b],
                                   forwarding: [F(mac: a.mac, destination: a.underlay), F(mac: b.mac, destination: a.underlay), gone],
                                   neighbours: [N(address: b.address, mac: b.mac), N(address: IPAddress("10.70.0.9")!, mac: gone.mac)])
        XCTAssertEqual(drift.missingForwarding, [F(mac: b.mac, destination: b.underlay)])
        XCTAssertEqual(drift.staleForwarding, [F(mac: b.mac, destination: a.underlay), gone])
        XCTAssertEqual(drift.missingNeighbours, [N(address: a.address, mac: a.mac)])
        XCTAssertEqual(drift.staleNeighbours, [N(address: IPAddress("10.70.0.9")!, mac: gone.mac)])
        XCTAssertFalse(drift.isEmpty)
    }
}
