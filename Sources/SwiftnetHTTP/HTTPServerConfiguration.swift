public struct HTTPServerConfiguration: Sendable, Equatable {
    /// Worker threads, each with its own epoll set and connections.
    public var threads: Int
    /// A connection without traffic for this long is closed. dockerd keeps idle connections for
    /// 30 s, so anything longer lets it close first.
    public var idleTimeoutSeconds: Int
    /// A request whose body has not fully arrived after this long is aborted (slow clients).
    public var requestDeadlineSeconds: Int
    /// Larger bodies get 413 and the connection is closed.
    public var maxBodyBytes: Int
    /// Connections beyond this are accepted and closed at once.
    public var connectionLimit: Int

    public init(
        threads: Int = 4,
        idleTimeoutSeconds: Int = 60,
        requestDeadlineSeconds: Int = 30,
        maxBodyBytes: Int = 1 << 20,
        connectionLimit: Int = 256
    ) {
        self.threads = threads
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.requestDeadlineSeconds = requestDeadlineSeconds
        self.maxBodyBytes = maxBodyBytes
        self.connectionLimit = connectionLimit
    }
}
