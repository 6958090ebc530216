import Foundation
import SwiftnetMultiHost
import SwiftnetTestSupport
import XCTest

/// A host's claims in etcd against its records when a call etcd failed, or when etcd lost a
/// claim while the host was away: settled by the running server, with no restart and no step
/// by hand, or reported by the doctor when only removing a container can mend it.
final class MultiHostSettleTests: MultiHostTestCase {
    /// etcd frozen: a claim fails, and etcd may still apply it once it runs again; the running
    /// server frees it. etcd stopped: a release is answered 200 (dockerd never asks twice) and
    /// reaches etcd once it is back.
    func testAClaimAndAReleaseEtcdFailedAreSettledOnceItAnswers() throws {
        let host = try addHost()
        let pool = try host.client.requestPool("10.88.\(octet).0/24", options: #"{"swiftnet.network":"jade"}"#).id
        let held = try host.client.requestAddress(pool: pool)
        let address = String(held.split(separator: "/")[0])
        let allocator = try AddressAllocator(etcd: etcdClient(), host: "test")
        func claims() -> [String] { ((try? allocator.claims(in: "jade")) ?? []).filter { $0.host == host.name }.map(\.address.description) }
        XCTAssertEqual(claims(), [address])

        etcd.freeze()
        let claim = try host.client.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool)","Address":"","Options":null}"#)
        XCTAssertEqual(claim.status, 500, "\(claim.object)")
        etcd.thaw()
        var late = false
        let settled = waitFor(seconds: 15) {
            let now = claims()
            late = late || now.count > 1
            return now == [address]
        }
        XCTAssertNotNil(settled, "the host holds \(claims())\n\(host.server.log.suffix(3000))")
        // The settle pass runs every 2 s: a late claim shown by one read may still be there.
        usleep(2_500_000)
        XCTAssertEqual(claims(), [address], host.server.log.suffix(3000).description)
        print("FIGURE etcd frozen: the failed claim was \(late ? "applied by etcd after the thaw, and freed" : "not applied")")

        etcd.stop()
        let release = try host.client.call("/IpamDriver.ReleaseAddress", #"{"PoolID":"\#(pool)","Address":"\#(address)"}"#)
        XCTAssertEqual(release.status, 200, "a release stands here while etcd fails: \(release.object)")
        try etcd.start()
        XCTAssertNotNil(waitFor(seconds: 15) { claims().isEmpty }, "the host still holds \(claims())\n\(host.server.log.suffix(3000))")
        XCTAssertNotNil(waitFor(seconds: 5) { host.server.log.contains("multi-host: released jade/\(address) in etcd") },
                        host.server.log.suffix(3000).description)
        // The address is free for anyone again.
        XCTAssertEqual(try host.client.requestAddress(pool: pool, address: address), held)
    }

    /// A host away longer than its lease, its addresses freed by `gc --node`, one of them given
    /// to another host meanwhile: back, it claims the free one again for its container, and
    /// the doctor reports the shared one (never fixed by taking it from the other host).
    /// Removing the container there releases nothing of the other host's.
    func testAHostBackAfterGCNodeClaimsItsAddressesAgainOrReportsTheConflict() throws {
        let (h1, h2) = (try addHost(), try addHost())
        let n1 = try createNetwork(on: h1, name: "amber", subnet: "10.87.\(octet).0/24")
        let n2 = try createNetwork(on: h2, name: "amber")
        let c1 = try addContainer(to: n1)
        let kept = try addContainer(to: n2)
        let shared = try addContainer(to: n2)
        XCTAssertNotNil(waitFor(seconds: 3) { ping(from: c1.namespace, kept.address) })

        h2.server.kill9()
        var gc = Shell.run(ServerProcess.binary, ["gc", "--node", h2.name, "--etcd-endpoints", etcd.url])
        _ = waitFor(seconds: Double(leaseTTL) + 10) {
            gc = Shell.run(ServerProcess.binary, ["gc", "--node", h2.name, "--etcd-endpoints", etcd.url])
            return gc.succeeded
        }
        XCTAssertTrue(gc.succeeded && gc.output.contains("freed 2 address(es)"), gc.both)
        XCTAssertEqual(try h1.client.requestAddress(pool: n1.poolID, address: shared.address), shared.cidr, "h1 takes a freed address")

        try h2.restart()
        let allocator = try AddressAllocator(etcd: etcdClient(), host: "test")
        let reclaimed = waitFor(seconds: 10) {
            ((try? allocator.claims(in: "amber")) ?? []).contains { $0.host == h2.name && $0.address.description == kept.address }
        }
        XCTAssertNotNil(reclaimed, "h2 did not claim \(kept.address) again: \((try? allocator.claims(in: "amber").map { "\($0.address) \($0.host)" }) ?? [])")
        XCTAssertNotNil(waitFor(seconds: 5) { h2.server.log.contains("amber/\(shared.address) (held by host \(h1.name)) is used by a container here too") },
                        h2.server.log.suffix(3000).description)
        let holders = Dictionary(try allocator.claims(in: "amber").map { ($0.address.description, $0.host) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(holders[shared.address], h1.name, "the other host keeps what it was given")
        XCTAssertEqual(holders[c1.address], h1.name)

        let response = try h2.client.get("/doctor")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
        let unclaimed = ((object["findings"] as? [[String: Any]]) ?? []).filter { $0["kind"] as? String == "address-unclaimed" }
        XCTAssertEqual(unclaimed.compactMap { $0["subject"] as? String }, [shared.address], "\(object)")
        XCTAssertEqual(unclaimed.first?["fixable"] as? Bool, false)
        XCTAssertTrue("\(unclaimed.first?["problem"] ?? "")".contains("host \(h1.name)"), "\(unclaimed)")

        // The way out: remove one of the two containers. h1's claim stays.
        try removeContainer(shared, from: n2)
        XCTAssertEqual(Dictionary(try allocator.claims(in: "amber").map { ($0.address.description, $0.host) },
                                  uniquingKeysWith: { a, _ in a })[shared.address], h1.name)
        XCTAssertFalse(try doctorFindings(h2).contains("address-unclaimed"))
        XCTAssertTrue(ping(from: c1.namespace, kept.address))
    }
}
