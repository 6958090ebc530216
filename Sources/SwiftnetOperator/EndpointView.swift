/// One endpoint (a container's attachment to a network) as `swiftnet inspect` shows it.
public struct EndpointView: Sendable, Equatable {
    public var id: String
    public var networkID: String
    /// The container name dockerd gave the IPAM with the address (dockerd 29+), when known.
    public var containerName: String?
    public var address: String?
    public var addressIPv6: String?
    public var mac: String
    public var hostVeth: String
    public var containerVeth: String
    /// Published ports as `proto hostIP:hostPort->containerPort`.
    public var published: [String]
    public var bootID: String
    public var state: String

    public init(id: String, networkID: String, containerName: String?, address: String?, addressIPv6: String?, mac: String,
                hostVeth: String, containerVeth: String, published: [String], bootID: String, state: String) {
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
    }

    public var shortID: String { String(id.prefix(12)) }
}
