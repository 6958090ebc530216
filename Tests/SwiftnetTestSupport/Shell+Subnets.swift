extension Shell {
    /// "A.B.N": a /24 under `prefix` ("A.B") that no IPv4 address or route of the current
    /// namespace (or of `namespace`) falls in. Other runs on the same host (a full run beside a filtered one,
    /// other branches) create networks under the same prefixes, and a second bridge with the
    /// same subnet breaks both: the kernel sends the replies for the subnet out of the bridge
    /// whose prefix route came first, so a network that works reads as broken. Two runs
    /// choosing in the same few milliseconds (before the bridge has its address) can still
    /// meet; a random pick among the free ones keeps that unlikely.
    package static func unusedSubnetBase(_ prefix: String, namespace: String? = nil) -> String {
        var used = Set<Int>()
        let target = namespace.map { ["-n", $0] } ?? []
        let listings = run(ipTool, target + ["-4", "-o", "addr", "show"]).output + "\n"
            + run(ipTool, target + ["-4", "route", "show", "table", "all"]).output
        for word in listings.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) {
            let address = word.split(separator: "/")[0]
            guard address.hasPrefix(prefix + ".") else { continue }
            let octets = address.split(separator: ".")
            if octets.count == 4, let third = Int(octets[2]) { used.insert(third) }
        }
        let third = (0...250).filter { !used.contains($0) }.randomElement() ?? Int.random(in: 0...250)
        return "\(prefix).\(third)"
    }
}
