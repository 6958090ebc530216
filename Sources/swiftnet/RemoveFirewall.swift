import ArgumentParser
import SwiftnetFirewall

/// `swiftnet remove-firewall`: deletes swiftnet's iptables chains and the jumps into them
/// (uninstall). Containers on swiftnet networks lose their firewall rules: callers stop the
/// server first (install.sh --uninstall does). Refused while a server owns the prefix, which
/// would put them back within seconds.
struct RemoveFirewall: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remove-firewall",
        abstract: "Delete swiftnet's iptables chains and jumps (used by install.sh --uninstall).")

    @Option(help: "Prefix of the chains to delete.")
    var chainPrefix = "SWIFTNET"

    func validate() throws {
        do {
            _ = try FirewallChains(prefix: chainPrefix)
        } catch {
            throw ValidationError("--chain-prefix: \(error)")
        }
    }

    func run() throws {
        let owned = try ChainsLock(prefix: chainPrefix)
        defer { withExtendedLifetime(owned) {} }
        try Firewall(prefix: chainPrefix).remove()
        print("removed iptables chains \(chainPrefix)-* and their jumps")
    }
}
