import SwiftnetAddress
import SwiftnetBridge
import SwiftnetNetworkModel
import Synchronization

/// Host ports held by sockets outside swiftnet, as a set the test fills.
final class FakeHostPorts: HostPortProbe {
    let busy = Mutex<Set<Int>>([])
    let ephemeralRange = 49_000...49_003

    func isFree(proto: TransportProtocol, hostIP: IPAddress?, family: IPFamily, port: Int) -> Bool {
        busy.withLock { !$0.contains(port) }
    }

    func hold(_ port: Int) { busy.withLock { _ = $0.insert(port) } }
}
