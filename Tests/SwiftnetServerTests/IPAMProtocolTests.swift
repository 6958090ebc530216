import Foundation
import SwiftnetClient
import SwiftnetFirewall
import SwiftnetHTTP
import SwiftnetPlugin
import SwiftnetTestSupport
import XCTest

/// The IPAM driver over the real socket of a real `swiftnet serve`, with the bodies dockerd sends.
final class IPAMProtocolTests: ProtocolTestCase {
    override var addressPool: String { "base=10.199.0.0/16,size=24" }

    func testHandshake() throws {
        let activate = try client.post("/Plugin.Activate", body: [])
        XCTAssertEqual(activate.status, 200)
        XCTAssertEqual(activate.text, #"{"Implements":["NetworkDriver","IpamDriver"]}"#)
        XCTAssertEqual(try client.post("/IpamDriver.GetCapabilities", body: []).text,
                       #"{"RequiresMACAddress":false,"RequiresRequestReplay":false}"#)
        XCTAssertEqual(try client.post("/IpamDriver.GetDefaultAddressSpaces", body: []).text,
                       #"{"GlobalDefaultAddressSpace":"GlobalDefault","LocalDefaultAddressSpace":"LocalDefault"}"#)
        XCTAssertEqual(try client.post("/NetworkDriver.GetCapabilities", body: []).text,
                       #"{"ConnectivityScope":"local","GwAllocChecker":true,"Scope":"local"}"#)
    }

    /// Docker ≥ 28's GwAllocCheck: macvlan and ipvlan networks skip the gateway, bridges keep it.
    func testGatewayAllocationCheckSkipsOnlyLANModes() throws {
        for (generic, skip) in [("{}", false), (#"{"swiftnet.mode":"bridge"}"#, false),
                                (#"{"swiftnet.mode":"macvlan","parent":"eth0"}"#, true), (#"{"swiftnet.mode":"ipvlan"}"#, true),
                                (#"{"swiftnet.mode":"overlay"}"#, false)] {
            let answer = try client.post("/NetworkDriver.GwAllocCheck",
                                         json: #"{"Options":{"com.docker.network.enable_ipv6":false,"com.docker.network.generic":\#(generic)}}"#)
            XCTAssertEqual(answer.status, 200, answer.text)
            XCTAssertEqual(answer.text, #"{"SkipIPv4":\#(skip),"SkipIPv6":\#(skip)}"#, generic)
        }
        let bad = try client.post("/NetworkDriver.GwAllocCheck", json: #"{"Options":{"com.docker.network.generic":{"swiftnet.mode":"vxlan"}}}"#)
        XCTAssertEqual(bad.status, 500, bad.text)
    }

    /// `docker network create --subnet --ip-range --gateway --aux-address`, a container, `network rm`,
    /// in the order and with the bodies of protocol.md §4.1–4.5 (Go's encoder: sorted keys, trailing newline).
    func testNetworkLifecycleAsDockerdSendsIt() throws {
        let pool = try client.call("/IpamDriver.RequestPool",
            "{\"AddressSpace\":\"LocalDefault\",\"Options\":{},\"Pool\":\"172.31.0.0/16\",\"SubPool\":\"172.31.5.0/24\",\"V6\":false}\n")
        XCTAssertEqual(pool.status, 200)
        XCTAssertEqual(pool.object["PoolID"] as? String, "LocalDefault/172.31.0.0/16/172.31.5.0/24")
        XCTAssertEqual(pool.object["Pool"] as? String, "172.31.0.0/16")
        let id = "LocalDefault/172.31.0.0/16/172.31.5.0/24"
        XCTAssertEqual(try client.requestAddress(pool: id, address: "172.31.0.254",
                                                 options: #"{"RequestAddressType":"com.docker.network.gateway"}"#), "172.31.0.254/16")
        XCTAssertEqual(try client.requestAddress(pool: id, address: "172.31.200.1"), "172.31.200.1/16", "aux address outside the range")
        XCTAssertEqual(try client.requestAddress(pool: id), "172.31.5.0/16", "containers draw from --ip-range")
        XCTAssertEqual(try client.requestAddress(pool: id, address: "172.31.9.9"), "172.31.9.9/16", "--ip")
        try client.releaseAddress(pool: id, address: "172.31.5.0")
        try client.releaseAddress(pool: id, address: "172.31.9.9")
        try client.releaseAddress(pool: id, address: "172.31.0.254")
        try client.releaseAddress(pool: id, address: "172.31.200.1")
        XCTAssertEqual(try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(id)"}"#).status, 200)
        // A second `network rm` after a failed first one releases again: harmless.
        try client.releaseAddress(pool: id, address: "172.31.0.254")
        XCTAssertEqual(try client.call("/IpamDriver.ReleasePool", #"{"PoolID":"\#(id)"}"#).status, 200)
        // The subnet is free again.
        XCTAssertEqual(try client.requestPool("172.31.0.0/16").id, "LocalDefault/172.31.0.0/16")
        XCTAssertTrue(server.log.contains("ReleasePool of a pool not held"), "double release is logged")
    }

    func testAutomaticPoolsAndIPv6() throws {
        XCTAssertEqual(try client.requestPool().pool, "10.199.0.0/24")
        XCTAssertEqual(try client.requestPool().pool, "10.199.1.0/24")
        let v6 = try client.requestPool(v6: true)
        XCTAssertTrue(v6.pool.hasPrefix("fd") && v6.pool.hasSuffix("::/64"), v6.pool)
        XCTAssertEqual(try client.requestAddress(pool: v6.id, options: #"{"RequestAddressType":"com.docker.network.gateway"}"#),
                       v6.pool.replacingOccurrences(of: "::/64", with: "::1/64"))
        let explicit = try client.requestPool("2001:db8:1::/64", v6: true)
        XCTAssertEqual(try client.requestAddress(pool: explicit.id, address: "2001:db8:1::abcd"), "2001:db8:1::abcd/64")
        // Docker 29's size-only requests.
        XCTAssertEqual(try client.requestPool("0.0.0.0/26").pool, "10.199.2.0/26")
    }

    func testErrorShapes() throws {
        func assertError(_ path: String, _ body: String, status: Int, contains text: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
            let response = try client.post(path, body: Array(body.utf8))
            XCTAssertEqual(response.status, status, response.text, file: file, line: line)
            let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: String]
            XCTAssertEqual(object?["Err"], object?["Error"], file: file, line: line)
            XCTAssertTrue(object?["Err"]?.contains(text) == true, "\(response.text) lacks \(text)", file: file, line: line)
            XCTAssertEqual(response.headers["content-type"], "application/json", file: file, line: line)
        }
        let pool = try client.requestPool("10.77.0.0/24")
        try assertError("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"10.77.0.0/25"}"#,
                        status: 500, contains: "Pool overlaps with other one on this address space")
        try assertError("/IpamDriver.RequestPool", #"{"AddressSpace":"Elsewhere","Pool":""}"#,
                        status: 500, contains: "cannot find address space Elsewhere")
        try assertError("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"10.1.2.3/99"}"#,
                        status: 500, contains: "invalid address pool")
        try assertError("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","Pool":"","SubPool":"10.1.0.0/24"}"#,
                        status: 500, contains: "invalid address subpool")
        try assertError("/IpamDriver.RequestAddress", #"{"PoolID":"LocalDefault/10.9.0.0/24","Address":""}"#,
                        status: 500, contains: "cannot find address pool for poolID:LocalDefault/10.9.0.0/24")
        try assertError("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool.id)","Address":"10.77.1.1"}"#,
                        status: 500, contains: "requested address is out of range")
        _ = try client.requestAddress(pool: pool.id, address: "10.77.0.5")
        try assertError("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool.id)","Address":"10.77.0.5"}"#,
                        status: 500, contains: "Address already in use")
        try assertError("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool.id)","Address":"banana"}"#,
                        status: 500, contains: "invalid address: banana")
        try assertError("/IpamDriver.ReleaseAddress", #"{"PoolID":"\#(pool.id)","Address":"banana"}"#,
                        status: 400, contains: "invalid address: banana")
        try assertError("/IpamDriver.RequestPool", "{not json", status: 400, contains: "not valid JSON")
        try assertError("/IpamDriver.RequestPool", #"{"AddressSpace":"LocalDefault","V6":"yes"}"#,
                        status: 400, contains: "V6 must be a boolean, not a string")
        try assertError("/IpamDriver.RequestPool", "", status: 400, contains: "empty request body")
        try assertError("/IpamDriver.RequestPool", "[1,2]", status: 400, contains: "body must be an object, not an array")
        try assertError("/IpamDriver.RequestPool", String(repeating: "[", count: 5000), status: 400,
                        contains: "nested deeper than 64 levels")
        try assertError("/IpamDriver.RequestPool", "[1,2]", status: 400, contains: "body must be an object, not an array")
        try assertError("/IpamDriver.RequestPool", String(repeating: "[", count: 5000), status: 400, contains: "nested deeper than 64 levels")
        try assertError("/IpamDriver.RequestAddress", #"{"PoolID":"x","Options":{"a":1}}"#,
                        status: 400, contains: "undecodable")
        try assertError("/IpamDriver.Bogus", "{}", status: 404, contains: "unknown plugin call")
        // Nothing above changed the state: the pool still has exactly one allocation.
        XCTAssertEqual(try client.requestAddress(pool: pool.id), "10.77.0.1/24")
    }

    func testExhaustionNamesThePool() throws {
        let pool = try client.requestPool("10.78.0.0/30")
        _ = try client.requestAddress(pool: pool.id)
        _ = try client.requestAddress(pool: pool.id)
        let (status, object) = try client.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool.id)","Address":""}"#)
        XCTAssertEqual(status, 500)
        XCTAssertEqual(object["Err"] as? String,
                       "no available addresses on this pool: 10.78.0.0/30 (PoolID LocalDefault/10.78.0.0/30) is full")
    }

    func testMalformedAndOversizedBodiesLeaveTheServerWorking() throws {
        var generator = SystemRandomNumberGenerator()
        let pool = try client.requestPool("10.79.0.0/24")
        for path in ["/IpamDriver.RequestPool", "/IpamDriver.RequestAddress", "/IpamDriver.ReleaseAddress", "/IpamDriver.ReleasePool"] {
            for _ in 0..<25 {
                let garbage = (0..<Int.random(in: 1...300, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
                let response = try client.post(path, body: garbage)
                XCTAssertEqual(response.status, 400, "\(path) \(response.text)")
            }
        }
        let oversized = [UInt8](repeating: UInt8(ascii: " "), count: HTTPServerConfiguration.defaultMaxBodyBytes + 1)
        let big = try server.client()
        let response = try big.post("/IpamDriver.RequestPool", body: oversized)
        XCTAssertEqual(response.status, 413)
        XCTAssertTrue(response.text.contains("\"Err\""), response.text)
        big.close()
        // A request line that is not HTTP at all.
        let raw = try server.client()
        try raw.sendRaw(Array("GARBAGE\r\n\r\n".utf8))
        if let answer = try? raw.readResponse() { XCTAssertGreaterThanOrEqual(answer.status, 400) }
        raw.close()
        XCTAssertEqual(try client.requestAddress(pool: pool.id), "10.79.0.1/24")
    }

    func testSixteenParallelClientsNeverShareAnAddress() throws {
        let pool = try client.requestPool("10.80.0.0/16")
        let perClient = 200
        let results = ParallelResults()
        let socketPath = server.socketPath
        DispatchQueue.concurrentPerform(iterations: 16) { index in
            do {
                let own = try UnixHTTPClient(socketPath: socketPath)
                defer { own.close() }
                for round in 0..<perClient {
                    let cidr = try own.requestAddress(pool: pool.id)
                    results.add(cidr)
                    // Release every third one so allocation and release interleave.
                    if round % 3 == 0 {
                        try own.releaseAddress(pool: pool.id, address: String(cidr.split(separator: "/")[0]))
                        results.released(cidr)
                    }
                }
            } catch {
                results.fail("client \(index): \(error)")
            }
        }
        XCTAssertEqual(results.failures, [])
        XCTAssertEqual(results.all.count, 16 * perClient)
        // An address may come round again only after it was released; never twice at once.
        let held = results.all.filter { !results.releasedSet.contains($0) }
        XCTAssertEqual(Set(held).count, held.count, "duplicates among held addresses")
        XCTAssertEqual(Set(results.all).count, results.all.count, "next-after-last: nothing reused in a /16 this small a run")
    }

    func testKillNineThenRestartNeverHandsAnAddressOutTwice() throws {
        let pool = try client.requestPool("10.81.0.0/16")
        let answered = ParallelResults()
        let stop = ManagedFlag()
        let workers = DispatchGroup()
        let socketPath = server.socketPath
        for _ in 0..<4 {
            DispatchQueue.global().async(group: workers) {
                guard let own = try? UnixHTTPClient(socketPath: socketPath) else { return }
                defer { own.close() }
                for _ in 0..<5_000 where !stop.isSet {
                    do {
                        answered.add(try own.requestAddress(pool: pool.id))
                    } catch {
                        return  // the server died under us: only answered addresses count
                    }
                }
            }
        }
        usleep(300_000)
        server.kill9()
        stop.set()
        XCTAssertEqual(workers.wait(timeout: .now() + 30), .success)
        XCTAssertGreaterThan(answered.all.count, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: server.socketPath), "kill -9 leaves the socket file")

        try server.start()  // replaces the stale socket
        let after = try server.client()
        defer { after.close() }
        for cidr in answered.all {
            let address = String(cidr.split(separator: "/")[0])
            let (status, object) = try after.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool.id)","Address":"\#(address)"}"#)
            XCTAssertEqual(status, 500, "\(address) was answered before the kill but is free after it")
            XCTAssertTrue((object["Err"] as? String)?.contains("Address already in use") == true)
        }
        var fresh: [String] = []
        for _ in 0..<200 { fresh.append(try after.requestAddress(pool: pool.id)) }
        XCTAssertTrue(Set(fresh).isDisjoint(with: answered.all), "a new address collides with one answered before the kill")
    }

    /// Docker 29 sends the container name; the same name gets the same address back, also
    /// after a server restart.
    func testStickyNamesAcrossRestart() throws {
        let pool = try client.requestPool("10.82.0.0/24")
        let web = #"{"com.docker.network.endpoint.name":"web"}"#
        let first = try client.requestAddress(pool: pool.id, options: web)
        _ = try client.requestAddress(pool: pool.id, options: #"{"com.docker.network.endpoint.name":"db"}"#)
        try client.releaseAddress(pool: pool.id, address: String(first.split(separator: "/")[0]))
        _ = try client.requestAddress(pool: pool.id)  // someone else allocates meanwhile
        XCTAssertEqual(server.terminate(), 0)
        try server.start()
        client = try server.client()
        XCTAssertEqual(try client.requestAddress(pool: pool.id, options: web), first)
        // Opt-out per pool.
        let plain = try client.requestPool("10.83.0.0/24", options: #"{"swiftnet.sticky":"false"}"#)
        let a = try client.requestAddress(pool: plain.id, options: web)
        try client.releaseAddress(pool: plain.id, address: String(a.split(separator: "/")[0]))
        XCTAssertNotEqual(try client.requestAddress(pool: plain.id, options: web), a)
    }

    func testSecondInstanceOnTheSameStateRefuses() throws {
        let second = try server.launch(arguments: ["serve", "--socket", server.folder + "/other.sock", "--state", server.statePath,
                                                   "--chain-prefix", server.defaultChainPrefix])
        second.waitUntilExit()
        XCTAssertNotEqual(second.terminationStatus, 0)
        XCTAssertTrue(server.log.contains("is already serving state"), server.log)
        // And another state on the live socket refuses too, leaving the first server alone.
        let third = try server.launch(arguments: ["serve", "--socket", server.socketPath, "--state", server.folder + "/other.db"])
        third.waitUntilExit()
        XCTAssertNotEqual(third.terminationStatus, 0)
        XCTAssertTrue(server.log.contains("another process is already listening on unix socket"), server.log)
        XCTAssertEqual(try client.post("/Plugin.Activate", body: []).status, 200)
    }

    /// The terminal or ssh session that started the server closing (SIGHUP) leaves it serving:
    /// by default the signal ended it without a clean stop, socket file left behind.
    func testAHangupLeavesTheServerServing() throws {
        let pid = try XCTUnwrap(server.process).processIdentifier
        let pool = try client.requestPool("10.84.0.0/24")
        XCTAssertEqual(kill(pid, SIGHUP), 0)
        let deadline = Date().addingTimeInterval(5)
        while !server.log.contains("signal ignored"), Date() < deadline { usleep(20_000) }
        XCTAssertTrue(server.log.contains("signal ignored"), server.log)
        XCTAssertTrue(try XCTUnwrap(server.process).isRunning)
        client = try server.client()
        XCTAssertFalse(try client.requestAddress(pool: pool.id).isEmpty)
        XCTAssertEqual(server.terminate(), 0)
    }

    /// A state a newer swiftnet migrated (a migration this one does not know) is refused and
    /// left as it is: this version would misread it, and its writes could break it for the
    /// version that made it.
    func testAStateFromANewerSchemaIsRefusedUntouched() throws {
        _ = try client.requestPool("10.85.0.0/24")
        XCTAssertEqual(server.terminate(), 0)
        let edit = Shell.run("/usr/bin/sqlite3", [server.statePath, "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')"])
        XCTAssertEqual(edit.status, 0, edit.both)
        let before = Shell.run("/usr/bin/sqlite3", [server.statePath, ".dump"])
        XCTAssertEqual(before.status, 0, before.both)
        // Bounded: a server that took the state would serve until killed.
        let refused = Shell.run(ServerProcess.binary, ["serve", "--socket", server.socketPath, "--state", server.statePath,
                                                       "--chain-prefix", server.defaultChainPrefix], timeout: 15)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.error.contains("written by a newer swiftnet (schema v99-from-the-future"), refused.both)
        XCTAssertEqual(Shell.run("/usr/bin/sqlite3", [server.statePath, ".dump"]).output, before.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.socketPath))
        // The operator commands refuse it the same way.
        let pools = Shell.run(ServerProcess.binary, ["pools", "--socket", server.socketPath, "--state", server.statePath], timeout: 15)
        XCTAssertNotEqual(pools.status, 0)
        XCTAssertTrue(pools.both.contains("cannot open \(server.statePath): \(server.statePath) was written by a newer swiftnet"), pools.both)
    }

    /// A state on read-only storage (a file system remounted read-only after an error, a
    /// rescue mount) is still read by the commands that only read, from a private copy that
    /// takes the WAL along: the last commits of a server killed with -9 are there. Commands
    /// that change it are refused, saying why, and no copy outlives a command. (Until
    /// December 2026 every command failed on the lock file.)
    func testAStateOnReadOnlyStorageIsReadFromAPrivateCopy() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to mount") }
        let pool = try client.requestPool("10.87.0.0/24")
        for _ in 0..<5 { _ = try client.requestAddress(pool: pool.id) }
        server.kill9()
        XCTAssertTrue(FileManager.default.fileExists(atPath: server.statePath + "-wal"), "no WAL left by the killed server")
        let readOnly = server.folder + "/read-only"
        try FileManager.default.createDirectory(atPath: readOnly, withIntermediateDirectories: true)
        let stateFolder = (server.statePath as NSString).deletingLastPathComponent
        let bind = Shell.run("/usr/bin/mount", ["--bind", stateFolder, readOnly])
        guard bind.status == 0 else { throw XCTSkip("cannot bind-mount here: \(bind.both)") }
        defer { _ = Shell.run("/usr/bin/umount", [readOnly]) }
        let remount = Shell.run("/usr/bin/mount", ["-o", "remount,bind,ro", readOnly])
        XCTAssertEqual(remount.status, 0, remount.both)
        // Asked for through a link, as /var/lib/swiftnet may be: the copy is of the file (and
        // its WAL) the link names.
        let state = server.folder + "/state-link.db"
        try FileManager.default.createSymbolicLink(atPath: state, withDestinationPath: readOnly + "/" + (server.statePath as NSString).lastPathComponent)
        func tool(_ arguments: [String]) -> Shell.Result {
            Shell.run(ServerProcess.binary, arguments + ["--socket", server.folder + "/none.sock", "--state", state], timeout: 60)
        }
        func copies() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory())) ?? []).filter { $0.hasPrefix("swiftnet-read-only-") }
        }
        let copiesBefore = copies()

        let pools = tool(["pools", "--format", "{{.Prefix}} {{.Allocated}}"])
        XCTAssertEqual(pools.status, 0, pools.both)
        XCTAssertEqual(pools.output, "10.87.0.0/24 5\n", pools.both)
        XCTAssertTrue(pools.error.contains("\(state) is on read-only storage; reading a private copy of it"), pools.both)
        XCTAssertEqual(tool(["ls"]).status, 0)
        let doctor = tool(["doctor"])
        XCTAssertNotEqual(doctor.status, 2, "the doctor could not check: \(doctor.both)")
        XCTAssertEqual(tool(["gc", "--dry-run"]).status, 0)

        let gc = tool(["gc"])
        XCTAssertNotEqual(gc.status, 0, gc.both)
        XCTAssertTrue(gc.error.contains("\(state) is on read-only storage and this command changes it"), gc.both)
        let fix = tool(["doctor", "--fix"])
        XCTAssertEqual(fix.status, 2, fix.both)
        XCTAssertTrue(fix.error.contains("is on read-only storage and this command changes it"), fix.both)
        XCTAssertEqual(copies(), copiesBefore, "a private copy outlived its command")
    }

    /// A second server whose lock file was removed meanwhile gets SQLite's lock instead: the
    /// refusal names the process holding the state, not just "database is locked". (Its own
    /// chain prefix, or the first server's chains would refuse it first.)
    func testARemovedLockFileStillRefusesASecondServerByPid() throws {
        let pid = try XCTUnwrap(server.process).processIdentifier
        try FileManager.default.removeItem(atPath: server.statePath + ".lock")
        let second = Shell.run(ServerProcess.binary, ["serve", "--socket", server.folder + "/other.sock", "--state", server.statePath,
                                                      "--chain-prefix", "SWL" + Shell.randomHex(6).uppercased()],
                               timeout: 15)
        XCTAssertNotEqual(second.status, 0)
        XCTAssertTrue(second.error.contains("process \(pid) holds \(server.statePath)"), second.both)
        XCTAssertEqual(try client.post("/Plugin.Activate", body: []).status, 200)
    }

    /// A state file whose file system fills: a refused request says the file system is full
    /// (SQLite says "disk I/O error" for most such writes), nothing of it is recorded, and
    /// once there is room again the server goes on with every answer it gave before.
    func testAFullFileSystemIsNamedAndLosesNothing() throws {
        let full = ServerProcess()
        // Beside this class's server: a chain prefix of its own.
        full.extraArguments = ["--chain-prefix", "SWF" + Shell.randomHex(6).uppercased()]
        let stateFolder = (full.statePath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: stateFolder, withIntermediateDirectories: true)
        XCTAssertEqual(Shell.run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "swiftnet-test", stateFolder]).status, 0)
        defer {
            full.terminate()
            _ = Shell.run("/usr/bin/umount", [stateFolder])
            full.cleanUp()
        }
        try full.start()
        let fullClient = try full.client()
        let pool = try fullClient.requestPool("10.86.0.0/16")
        var answered: [String] = []
        for _ in 0..<20 { answered.append(try fullClient.requestAddress(pool: pool.id)) }
        // Fill what is left (dd stops at "No space left on device").
        _ = Shell.run("/usr/bin/dd", ["if=/dev/zero", "of=\(stateFolder)/filler", "bs=4k"])
        var refusal: String?
        for _ in 0..<200 {
            let (status, object) = try fullClient.call("/IpamDriver.RequestAddress", #"{"PoolID":"\#(pool.id)","Address":"","Options":null}"#)
            if status != 200 {
                refusal = object["Err"] as? String
                break
            }
            answered.append(try XCTUnwrap(object["Address"] as? String))
        }
        let message = try XCTUnwrap(refusal, "200 requests on a full file system all succeeded")
        XCTAssertTrue(message.contains("the file system holding \(full.statePath) is full"), message)
        try FileManager.default.removeItem(atPath: stateFolder + "/filler")
        // Restarted on the same state: every address answered is still held, none twice.
        XCTAssertEqual(full.terminate(), 0)
        try full.start()
        let after = try full.client()
        var fresh: [String] = []
        for _ in 0..<5 { fresh.append(try after.requestAddress(pool: pool.id)) }
        XCTAssertTrue(Set(fresh).isDisjoint(with: answered), "an address answered before the disk filled was handed out again")
        XCTAssertEqual(Set(answered).count, answered.count)
    }

    /// A clean stop removes the socket, and the lock file of the chain prefix (which the
    /// process's exit would release but not remove).
    func testGracefulStopRemovesTheSocket() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: server.socketPath)
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o660)
        func prefixLocks() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: ChainsLock.folder)) ?? []).filter { $0.hasSuffix("-\(server.defaultChainPrefix).lock") }
        }
        XCTAssertEqual(prefixLocks().count, 1, "the running server's chain-prefix lock")
        XCTAssertEqual(server.terminate(), 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: server.socketPath))
        XCTAssertTrue(server.log.contains("stopping"))
        XCTAssertEqual(prefixLocks(), [], "the stopped server left its chain-prefix lock file")
    }

    func testBadFlagsExplainThemselves() throws {
        let process = try server.launch(arguments: ["serve", "--log-level", "loud"])
        process.waitUntilExit()
        XCTAssertNotEqual(process.terminationStatus, 0)
        XCTAssertTrue(server.log.contains("--log-level must be one of"), server.log)
    }
}

/// Results gathered from several threads.
final class ParallelResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    private var releasedValues: Set<String> = []
    private var errors: [String] = []

    func add(_ value: String) { lock.withLock { values.append(value) } }
    func released(_ value: String) { lock.withLock { _ = releasedValues.insert(value) } }
    func fail(_ message: String) { lock.withLock { errors.append(message) } }
    var all: [String] { lock.withLock { values } }
    var releasedSet: Set<String> { lock.withLock { releasedValues } }
    var failures: [String] { lock.withLock { errors } }
}

final class ManagedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
