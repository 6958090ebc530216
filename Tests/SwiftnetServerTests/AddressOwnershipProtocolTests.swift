import Foundation
import SwiftnetClient
import SwiftnetTestSupport
import XCTest

/// Who holds an address or a pool, over the real socket with Docker 29's exact bodies
/// (shared/docs/docker29-wire.md §2): a second request of one name or one subnet is a second
/// holder, never the first one's answer, except as the retry of a request a crashed server
/// committed but never answered; and the sticky-name table stays bounded.
final class AddressOwnershipProtocolTests: ProtocolTestCase {

    // MARK: Docker 29's bodies

    func poolBody(_ subnet: String) -> String {
        #"{"AddressSpace":"LocalDefault","Pool":"\#(subnet)","SubPool":"","Options":{},"V6":false}"# + "\n"
    }

    func addressBody(_ poolID: String, address: String = "", name: String) -> String {
        #"{"PoolID":"\#(poolID)","Address":"\#(address)","Options":{"com.docker.network.endpoint.name":"\#(name)"}}"# + "\n"
    }

    func gatewayBody(_ poolID: String) -> String {
        #"{"PoolID":"\#(poolID)","Address":"","Options":{"RequestAddressType":"com.docker.network.gateway"}}"# + "\n"
    }

    func releaseBody(_ poolID: String, _ address: String) -> String {
        #"{"PoolID":"\#(poolID)","Address":"\#(address)"}"# + "\n"
    }

    /// `docker network create --subnet SUBNET`: the pool and its gateway.
    func network(_ subnet: String) throws -> String {
        let (status, object) = try client.call("/IpamDriver.RequestPool", poolBody(subnet))
        XCTAssertEqual(status, 200, "\(object)")
        let poolID = try XCTUnwrap(object["PoolID"] as? String)
        XCTAssertEqual(try client.call("/IpamDriver.RequestAddress", gatewayBody(poolID)).status, 200)
        return poolID
    }

    func address(_ poolID: String, name: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let (status, object) = try client.call("/IpamDriver.RequestAddress", addressBody(poolID, name: name))
        XCTAssertEqual(status, 200, "\(object)", file: file, line: line)
        let cidr = try XCTUnwrap(object["Address"] as? String, file: file, line: line)
        return String(cidr.split(separator: "/")[0])
    }

    func allocated(_ poolID: String) throws -> Int? {
        let raw = try server.client()
        defer { raw.close() }
        try raw.sendRaw(Array("GET /state HTTP/1.1\r\nHost: plugin.moby.localhost\r\nContent-Length: 0\r\n\r\n".utf8))
        let object = try JSONSerialization.jsonObject(with: Data(try raw.readResponse().body)) as? [String: Any]
        let pool = (object?["pools"] as? [[String: Any]])?.first { $0["id"] as? String == poolID }
        return (pool?["allocated"] as? NSNumber)?.intValue
    }

    // MARK: tests

    /// `docker run -d --name web; docker rename web web-old; docker run -d --name web;
    /// docker rm -f web-old` (Compose's recreate): both requests say "web".
    func testRenameThenRunUnderTheOldNameGivesASecondAddress() throws {
        let poolID = try network("10.84.0.0/24")
        let old = try address(poolID, name: "web")
        let new = try address(poolID, name: "web")
        XCTAssertNotEqual(new, old, "web-old still runs on \(old)")
        XCTAssertEqual(try client.call("/IpamDriver.ReleaseAddress", releaseBody(poolID, old)).status, 200, "rm -f web-old")
        XCTAssertEqual(try allocated(poolID), 2, "the gateway and the new web's address")
        let (status, object) = try client.call("/IpamDriver.RequestAddress", addressBody(poolID, address: new, name: "third"))
        XCTAssertEqual(status, 500, "--ip \(new) while the new web holds it: \(object)")
        XCTAssertTrue((object["Err"] as? String)?.contains("Address already in use") == true, "\(object)")
        // The new web is what the name means now: recreated again, it gets its address back.
        XCTAssertEqual(try client.call("/IpamDriver.ReleaseAddress", releaseBody(poolID, new)).status, 200)
        XCTAssertEqual(try address(poolID, name: "web"), new)
    }

    /// After a clean stop nothing is a retry: the server answered all it committed.
    func testAfterACleanRestartAHeldNameGetsANewAddress() throws {
        let poolID = try network("10.85.0.0/24")
        let first = try address(poolID, name: "api")
        XCTAssertEqual(server.terminate(), 0)
        try server.start()
        client = try server.client()
        XCTAssertNotEqual(try address(poolID, name: "api"), first)
        XCTAssertEqual(try allocated(poolID), 3)
    }

    /// kill -9 between the commit and the answer: the repeated request gets that address,
    /// once; the next request of the name is another container's.
    func testCrashRetryGetsTheUnansweredAddressOnce() throws {
        let poolID = try network("10.86.0.0/24")
        XCTAssertEqual(server.terminate(), 0)
        server.environment = ["SWIFTNET_CRASH_AT": "ipam.RequestAddress.committed"]
        try server.start()
        client = try server.client()
        _ = try? client.call("/IpamDriver.RequestAddress", addressBody(poolID, name: "crashy"))
        XCTAssertTrue(server.waitForCrash(seconds: 5), "the crash point was not reached:\n\(server.log.suffix(2000))")
        server.environment = [:]
        try server.start()
        client = try server.client()
        XCTAssertTrue(server.log.contains("the previous server did not stop cleanly"), server.log.suffix(2000).description)
        XCTAssertEqual(try allocated(poolID), 2, "the gateway and the unanswered address")
        let retried = try address(poolID, name: "crashy")
        XCTAssertEqual(try allocated(poolID), 2, "the retry got the committed address, not a second one")
        let second = try address(poolID, name: "crashy")
        XCTAssertNotEqual(second, retried, "given once: a second request of the name is a second container")
        XCTAssertEqual(try allocated(poolID), 3)
    }

    /// Two identical explicit RequestPools in one process are two networks on one subnet:
    /// the second is refused (as Docker's own IPAM does), so one ReleasePool can never take
    /// the pool from under the other network.
    func testIdenticalExplicitPoolTwiceIsRefused() throws {
        let body = poolBody("10.87.0.0/24")
        let first = try client.call("/IpamDriver.RequestPool", body)
        XCTAssertEqual(first.status, 200)
        let poolID = try XCTUnwrap(first.object["PoolID"] as? String)
        let second = try client.call("/IpamDriver.RequestPool", body)
        XCTAssertEqual(second.status, 500, "\(second.object)")
        XCTAssertTrue((second.object["Err"] as? String)?.contains("Pool overlaps with other one on this address space") == true,
                      "\(second.object)")
        // The first network's pool is whole and usable.
        XCTAssertEqual(try client.call("/IpamDriver.RequestAddress", gatewayBody(poolID)).object["Address"] as? String, "10.87.0.1/24")
        XCTAssertNotNil(try address(poolID, name: "web"))
        XCTAssertEqual(try allocated(poolID), 2)
    }

    /// kill -9 after RequestPool committed: the repeated request gets that pool, once.
    func testCrashRetryOfRequestPoolGetsThePoolOnce() throws {
        XCTAssertEqual(server.terminate(), 0)
        server.environment = ["SWIFTNET_CRASH_AT": "ipam.RequestPool.committed"]
        try server.start()
        client = try server.client()
        let body = poolBody("10.88.0.0/24")
        _ = try? client.call("/IpamDriver.RequestPool", body)
        XCTAssertTrue(server.waitForCrash(seconds: 5), server.log.suffix(2000).description)
        server.environment = [:]
        try server.start()
        client = try server.client()
        let retried = try client.call("/IpamDriver.RequestPool", body)
        XCTAssertEqual(retried.status, 200, "\(retried.object)")
        XCTAssertEqual(retried.object["PoolID"] as? String, "LocalDefault/10.88.0.0/24")
        XCTAssertEqual(try client.call("/IpamDriver.RequestPool", body).status, 500, "once")
    }

    /// 20 × `docker run --rm` (a generated name each time) leave at most one sticky name per
    /// address; 1,100 leave at most 1,024 names in a pool however large.
    func testStickyTableStaysBounded() throws {
        let small = try network("10.89.0.0/28")  // .2–.14 for containers
        let large = try network("10.90.0.0/16")
        for round in 0..<20 {
            _ = try client.call("/IpamDriver.ReleaseAddress", releaseBody(small, try address(small, name: "gen-\(round)")))
        }
        for round in 0..<1_100 {
            _ = try client.call("/IpamDriver.ReleaseAddress", releaseBody(large, try address(large, name: "gen-\(round)")))
        }
        XCTAssertEqual(try allocated(small), 1)
        XCTAssertEqual(server.terminate(), 0)
        let rows = try stickyRows()
        XCTAssertEqual(rows[small], 13, "one name per address: \(rows)")
        XCTAssertEqual(rows[large], 1_024, "\(rows)")
        // The newest names are the ones kept, and they still work after a restart.
        try server.start()
        client = try server.client()
        let last = try address(large, name: "gen-1099")
        XCTAssertEqual(last, "10.90.4.77", "gen-1099 had the 1,100th address after the gateway")
    }

    /// pool id → sticky rows, read from the state file while no server holds it.
    func stickyRows() throws -> [String: Int] {
        let script = "import sqlite3,sys\nfor p,n in sqlite3.connect(sys.argv[1]).execute('SELECT pool_id, count(*) FROM sticky GROUP BY pool_id'): print(p, n)"
        let result = Shell.run("/usr/bin/env", ["python3", "-c", script, server.statePath])
        XCTAssertTrue(result.succeeded, result.both)
        var rows: [String: Int] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { rows[String(parts[0])] = Int(parts[1]) }
        }
        return rows
    }
}
