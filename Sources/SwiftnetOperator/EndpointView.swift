/// One endpoint (a container's attachment to a network) as `swiftnet inspect` shows it.
package struct EndpointView: Sendable, Equatable {
    package var id: String
    package var networkID: String
    /// The container name dockerd gave the IPAM with the address (dockerd 29+), when known.
    package var containerName: String?
    package var address: String?
    package var addressIPv6: String?
    package var mac: String
    package var hostVeth: String
    package var containerVeth: String
    /// Published ports as `proto hostIP:hostPort->containerPort`.
    package var published: [String]
    package var bootID: String
    package var state: String
    /// When the endpoint was recorded (unix seconds); nil from a server older than this field.
    package var createdAt: Int?

    package init(id: String, networkID: String, containerName: String?, address: String?, addressIPv6: String?, mac: String,
                hostVeth: String, containerVeth: String, published: [String], bootID: String, state: String, createdAt: Int? = nil) {
        self.id = id
        self.networkID = networkID
        self.containerName = containerName
        self.address = address
        self.addressIPv6 = addressIPv6
        self.mac = mac
        self.hostVeth = hostVeth
        self.containerVeth = containerVeth
        self.published = published
        self.bootID = bootID
        self.state = state
        self.createdAt = createdAt
    }

    package var shortID: String { String(id.prefix(12)) }
}
