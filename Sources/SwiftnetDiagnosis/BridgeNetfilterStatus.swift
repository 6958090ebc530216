/// Whether frames bridged between two ports of one bridge pass through iptables and
/// ip6tables (br_netfilter's `net.bridge.bridge-nf-call-iptables` / `-ip6tables`). Without it
/// the rules that decide traffic between containers of one network (`enable_icc=false`)
/// never see that traffic.
package struct BridgeNetfilterStatus: Sendable, Equatable {
    /// nil: br_netfilter is not loaded, so the setting does not exist.
    package var iptables: Bool?
    package var ip6tables: Bool?

    package init(iptables: Bool?, ip6tables: Bool?) {
        self.iptables = iptables
        self.ip6tables = ip6tables
    }
}
