// A "host" for the crash test: claims addresses of one multi-host network from several
// threads and appends each answered claim ("ADDRESS OWNER") to a log, until killed.
// Arguments: ETCD_URL HOST NETWORK LOG_PATH THREADS
import Foundation
import SwiftnetAddress
import SwiftnetEtcd
import SwiftnetMultiHost

let arguments = CommandLine.arguments
guard arguments.count == 6, let threads = Int(arguments[5]) else {
    FileHandle.standardError.write(Data("usage: swiftnet-claim-worker ETCD_URL HOST NETWORK LOG_PATH THREADS\n".utf8))
    exit(2)
}
let (url, host, networkName, logPath) = (arguments[1], arguments[2], arguments[3], arguments[4])

do {
    let etcd = try EtcdClient(endpoints: url, timeoutSeconds: 10)
    guard let network = try NetworkRegistry(etcd: etcd).network(named: networkName) else {
        throw MultiHostError.unknownNetwork(networkName)
    }
    let membership = try HostMembership(etcd: etcd, record: HostRecord(name: host, underlay: IPAddress("10.99.0.2")!), ttlSeconds: 3)
    membership.start()
    let allocator = try AddressAllocator(etcd: etcd, host: host)
    let log = open(logPath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
    guard log >= 0 else { throw POSIXError(.EIO) }
    let token = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    for thread in 0..<threads {
        Thread.detachNewThread {
            var count = 0
            while true {
                let owner = "\(host)-\(token)-t\(thread)-\(count)"
                count += 1
                guard let claim = try? allocator.allocate(in: network, owner: owner) else { continue }
                // One write(2) per line: O_APPEND keeps lines whole across threads.
                let line = Array("\(claim.address) \(owner)\n".utf8)
                _ = line.withUnsafeBytes { write(log, $0.baseAddress, $0.count) }
                try? membership.publish(EndpointLocation(network: network.name, address: claim.address,
                                                         mac: [2, 0, 0, 0, 2, UInt8(truncatingIfNeeded: count)],
                                                         host: host, underlay: IPAddress("10.99.0.2")!, name: owner))
            }
        }
    }
    while true { sleep(60) }
} catch {
    FileHandle.standardError.write(Data("swiftnet-claim-worker: \(error)\n".utf8))
    exit(1)
}
