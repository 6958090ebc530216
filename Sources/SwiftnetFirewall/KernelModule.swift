/// Loads a kernel module with `modprobe`, as dockerd does for br_netfilter. The name is code,
/// never request data; the tool is found only in the fixed system folders.
package enum KernelModule {
    package static func load(_ name: String) throws(FirewallError) {
        try CommandRunner.check(try CommandRunner.tool("modprobe"), [name])
    }
}
