import XCTest
import SwiftnetAddress
@testable import SwiftnetIPAM

/// Automatic pool choice: the same answer as the plain scan, at a cost that does not grow with
/// the pools held.
final class PoolChooserTests: XCTestCase {
    /// 4,000 automatic IPv6 pools packed in the host's one /48 (each next pool lies past all the
    /// others): choosing the next one looks at a couple of candidates, not thousands. The plain
    /// scan examined 4,001 here, each against up to 4,000 pools.
    func testChoosingPastThousandsOfPackedPoolsLooksAtAFewCandidates() throws {
        var ipam = IPAMAllocator(configuration: .dockerDefaults(ulaGlobalID: 0x12_3456_789A))
        for _ in 0..<4_000 {
            ipam.apply(.createPool(try ipam.planRequestPool(.init(addressSpace: "LocalDefault", v6: true), hostRoutes: { [] })))
        }
        let bases = try XCTUnwrap(ipam.configuration.bases(forSpace: "LocalDefault"))
        var chooser = PoolChooser(bases: bases)
        let chosen = try chooser.choose(family: .v6, size: nil, pools: ipam.poolSpans[.v6] ?? PoolSpans(), routes: []) { [] }
        XCTAssertLessThanOrEqual(chooser.examined, 2)
        let ula = PoolBase.uniqueLocalV6(globalID: 0x12_3456_789A).base
        XCTAssertEqual(chosen, IPPrefix(address: IPAddress(family: .v6, value: ula.network.value + (UInt128(4_000) << 64)), length: 64))
        XCTAssertEqual(ipam.poolSpans[.v6]?.runs.count, 1, "packed pools are one run")
    }

    /// A released pool in the middle is the next automatic choice again (lowest first fit), and
    /// its neighbours stay blocked.
    func testReleasedPoolInTheMiddleIsChosenAgain() throws {
        var ipam = IPAMAllocator(configuration: .dockerDefaults(ulaGlobalID: 7))
        var made: [PoolRecord] = []
        for _ in 0..<20 {
            let record = try ipam.planRequestPool(.init(addressSpace: "LocalDefault", v6: true), hostRoutes: { [] })
            ipam.apply(.createPool(record))
            made.append(record)
        }
        ipam.apply(.releasePool(poolID: made[7].id))
        XCTAssertEqual(ipam.poolSpans[.v6]?.runs.count, 2)
        let again = try ipam.planRequestPool(.init(addressSpace: "LocalDefault", v6: true), hostRoutes: { [] })
        XCTAssertEqual(again.prefix, made[7].prefix)
        ipam.apply(.createPool(again))
        XCTAssertEqual(ipam.poolSpans[.v6]?.runs.count, 1)
    }

    /// The same prefix held in both address spaces is two spans: releasing one leaves the
    /// subnet blocked.
    func testPrefixHeldInBothSpacesStaysBlockedUntilBothAreReleased() {
        var spans = PoolSpans()
        let prefix = IPPrefix("10.1.0.0/16")!.span
        spans.insert(prefix)
        spans.insert(prefix)
        spans.insert(IPPrefix("10.1.4.0/24")!.span)
        spans.remove(prefix)
        XCTAssertEqual(spans.firstRun(overlapping: IPPrefix("10.1.200.0/24")!.span), prefix)
        spans.remove(prefix)
        XCTAssertNil(spans.firstRun(overlapping: IPPrefix("10.1.200.0/24")!.span))
        XCTAssertEqual(spans.firstRun(overlapping: IPPrefix("10.1.0.0/16")!.span), IPPrefix("10.1.4.0/24")!.span)
        XCTAssertEqual(spans.runs.count, 1)
    }

    /// Random pools (nested, adjacent, of both spaces), routes and sizes: the choice, or the
    /// refusal, is the plain scan's.
    func testSameChoiceAsThePlainScanOnRandomHosts() throws {
        var generator = SplitMix(seed: 0x5EED)
        let bases = [PoolBase(base: IPPrefix("10.0.0.0/20")!, size: 24), PoolBase(base: IPPrefix("10.0.32.0/22")!, size: 26),
                     PoolBase(base: IPPrefix("10.0.64.0/24")!, size: 28)]
        for round in 0..<400 {
            var spans = PoolSpans()
            var held: [IPPrefix] = []
            for _ in 0..<Int(generator.next() % 40) {
                let length = 20 + Int(generator.next() % 9)
                let address = IPAddress(family: .v4, value: (UInt128(10) << 24) + UInt128(generator.next() % (1 << 17)))
                let prefix = IPPrefix(address: address, length: length)!
                held.append(prefix)
                spans.insert(prefix.span)
            }
            // Release some again, as ReleasePool would.
            for _ in 0..<Int(generator.next() % 5) where !held.isEmpty {
                let removed = held.remove(at: Int(generator.next() % UInt64(held.count)))
                spans.remove(removed.span)
            }
            let routes = (0..<Int(generator.next() % 3)).map { _ in
                IPPrefix(address: IPAddress(family: .v4, value: (UInt128(10) << 24) + UInt128(generator.next() % (1 << 17))),
                         length: 22 + Int(generator.next() % 8))!
            }
            let size: Int? = generator.next() % 3 == 0 ? 25 + Int(generator.next() % 4) : nil
            let blockers = held.map { (prefix: $0, label: "\($0)") } + routes.map { (prefix: $0, label: "route \($0)") }
            var chooser = PoolChooser(bases: bases)
            let fast = Result { try chooser.choose(family: .v4, size: size, pools: spans, routes: routes) { blockers } }
            let plain = Result { try PoolChooser(bases: bases).choose(family: .v4, size: size, blockers: blockers) }
            switch (fast, plain) {
            case (.success(let a), .success(let b)): XCTAssertEqual(a, b, "round \(round)")
            case (.failure, .failure): break
            default: XCTFail("round \(round): \(fast) vs \(plain)")
            }
        }
    }
}

/// A small deterministic generator, so a failing round can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
