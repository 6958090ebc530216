import SwiftnetAddress

extension NetworkSubnet {
    /// One `IPv4Data`/`IPv6Data` entry of CreateNetwork: the pool as a CIDR, the gateway as a
    /// CIDR or a plain address ("" for none). Whatever IPAM gave them (swiftnet's or dockerd's
    /// default), a pool or gateway no bridge can use is refused here: special-purpose ranges,
    /// and a gateway that is the pool's network or broadcast (IPv6: subnet-router anycast) address.
    /// `family`: the list it came in (`IPv4Data` or `IPv6Data`), which the pool must match.
    package init(ipamPool poolText: String, gateway gatewayText: String, family: IPFamily? = nil) throws(NetworkModelError) {
        guard let pool = IPPrefix(poolText) else { throw .invalidIPAMData("pool '\(poolText)' is not a CIDR") }
        if let family, pool.family != family {
            throw .invalidIPAMData("pool \(pool) came in \(family == .v4 ? "IPv4Data" : "IPv6Data"), but it is not an \(family == .v4 ? "IPv4" : "IPv6") pool")
        }
        if let range = pool.specialPurposeRange {
            throw .invalidIPAMData("pool \(pool): \(range), a special-purpose range no network can use")
        }
        guard !gatewayText.isEmpty else {
            self.init(pool: pool, gateway: nil)
            return
        }
        guard let gateway = InterfaceAddress(cidr: gatewayText)?.address ?? IPAddress(gatewayText), pool.contains(gateway) else {
            throw .invalidIPAMData("gateway '\(gatewayText)' is not an address in \(pool)")
        }
        if let role = pool.reservedRole(of: gateway) {
            throw .invalidIPAMData("gateway \(gateway) is \(role) of \(pool); a host address is needed")
        }
        self.init(pool: pool, gateway: gateway)
    }
}
