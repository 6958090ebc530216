import Foundation
import XCTest
import SwiftnetEtcd
import SwiftnetEtcdFixture

/// A real etcd per test (killed in tearDown, even after a failed assertion), and one client per
/// simulated host: each "host" talks to etcd over its own connections, as separate servers would.
class EtcdTestCase: XCTestCase {
    var server: EtcdServer!

    override func setUpWithError() throws {
        try XCTSkipUnless(EtcdServer.isInstalled, "etcd-server is not installed (install/deps.sh --test)")
        server = try EtcdServer()
    }

    override func tearDown() {
        server?.thaw()
        server?.stop()
        server = nil
    }

    func client(timeout: Double = 3) -> EtcdClient {
        EtcdClient(endpoints: [server.endpoint], timeoutSeconds: timeout)
    }

    /// Waits for `condition` (at most `seconds`), polling every 50 ms.
    func eventually(_ seconds: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line,
                    _ condition: () throws -> Bool) throws {
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            if try condition() { return }
            usleep(50_000)
        }
        XCTFail("not within \(seconds) s: \(what)", file: file, line: line)
    }

    /// Runs `body` on `count` threads of their own, released together: really concurrent, where
    /// DispatchQueue.concurrentPerform would run only as many at once as there are cores.
    static func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let ready = DispatchGroup()
        let go = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        for index in 0..<count {
            ready.enter()
            done.enter()
            let thread = Thread {
                ready.leave()
                go.wait()
                body(index)
                done.leave()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        ready.wait()
        for _ in 0..<count { go.signal() }
        done.wait()
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }
}
