/// One change a watch reports.
package struct EtcdWatchEvent: Sendable, Equatable {
    package enum Kind: Sendable, Equatable { case put, delete }

    package var kind: Kind
    /// For a delete, only the key and the revision of the delete are set.
    package var keyValue: EtcdKeyValue

    package init(kind: Kind, keyValue: EtcdKeyValue) {
        self.kind = kind
        self.keyValue = keyValue
    }
}

/// One message of a watch stream.
package struct EtcdWatchResponse: Sendable, Equatable {
    /// The store's revision when etcd sent it: with no events (a progress notice) it still says
    /// everything up to here has been seen.
    package var revision: Int64
    package var events: [EtcdWatchEvent]
    package var created: Bool
    package var canceled: Bool
    /// Set when the watch asked for history etcd has compacted away: the watch is cancelled,
    /// and the watcher must read the current state afresh.
    package var compactRevision: Int64

    package init(revision: Int64, events: [EtcdWatchEvent], created: Bool = false, canceled: Bool = false,
                 compactRevision: Int64 = 0) {
        self.revision = revision
        self.events = events
        self.created = created
        self.canceled = canceled
        self.compactRevision = compactRevision
    }
}
