import Glibc

/// Named places where a mutating call can be interrupted, for the fault-injection tests: with
/// `SWIFTNET_CRASH_AT=<name>` in its environment the server kills itself with SIGKILL when it
/// gets there — no cleanup, no flush, exactly like a crash or a power cut of the process.
package enum CrashPoint {
    /// Read once; unset in production, so each point costs a comparison with nil.
    private static let armed: String? = getenv("SWIFTNET_CRASH_AT").map { String(cString: $0) }

    package static func reach(_ name: StaticString) {
        guard let armed, armed == name.description else { return }
        kill(getpid(), SIGKILL)
        while true { pause() }
    }

    /// Every point, for the tests that visit them all.
    package static let all: [String] = [
        "ipam.RequestPool.committed", "ipam.ReleasePool.committed",
        "ipam.RequestAddress.committed", "ipam.ReleaseAddress.committed",
        "network.create.recorded", "network.create.bridge", "network.create.firewall",
        "network.delete.recorded", "network.delete.bridge", "network.delete.firewall",
        "endpoint.create.recorded", "endpoint.create.veth",
        "endpoint.join.recorded",
        "endpoint.delete.recorded", "endpoint.delete.retired", "endpoint.delete.batch",
        "ports.program.firewall", "ports.revoke.firewall",
    ]
    /// Points of multi-host calls (they need etcd; MultiHostAllocationTests visits them).
    package static let multiHost: [String] = ["multihost.claim.claimed"]
}
