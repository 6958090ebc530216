/// Whether frames bridged between two ports of one bridge pass through iptables and
/// ip6tables (br_netfilter's `net.bridge.bridge-nf-call-iptables` / `-ip6tables`). Without it
/// the rules that decide traffic between containers of one network (`enable_icc=false`)
/// never see that traffic.
public struct BridgeNetfilterStatus: Sendable, Equatable {
    /// nil: br_netfilter is not loaded, so the setting does not exist.
    public var iptables: Bool?
    public var ip6tables: Bool?

    public init(iptables: Bool?, ip6tables: Bool?) {
        self.iptables = iptables
        self.ip6tables = ip6tables
    }
}
