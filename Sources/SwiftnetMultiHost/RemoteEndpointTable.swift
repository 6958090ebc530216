import SwiftnetEtcd
import SwiftnetAddress

/// Pure: the endpoints on other hosts, as etcd's `eps/` keys say, and the changes that keep a
/// copy of them (the kernel's FDB and neighbour entries) in step.
///
/// Fed either a full read (`reset`, at start and after the watch's history was compacted away)
/// or watch events (`apply`); either way it answers with the changes from what it held before,
/// so a consumer applying them holds exactly `entries`. It also keeps the revision it has seen
/// up to, from which a broken watch resumes.
package struct RemoteEndpointTable: Sendable {
    package let localHost: String
    package let keys: MultiHostKeys
    /// Every remote endpoint, by its `eps/` key.
    package private(set) var entriesByKey: [String: EndpointLocation] = [:]
    /// Every endpoint with a name, this host's included, by its `eps/` key: what DNS answers.
    private var namedByKey: [String: EndpointLocation] = [:]
    /// Everything up to this revision is reflected; a watch resumes at `revision + 1`.
    package private(set) var revision: Int64 = 0
    /// Keys that did not read as endpoint locations (a bug or a foreign writer), skipped.
    package private(set) var unreadable: [String: String] = [:]

    package init(localHost: String, keys: MultiHostKeys = MultiHostKeys()) {
        self.localHost = localHost
        self.keys = keys
    }

    package var entries: [EndpointLocation] {
        entriesByKey.values.sorted { ($0.network, $0.address) < ($1.network, $1.address) }
    }

    /// The names of `network`'s endpoints on every host (this one's included) and their
    /// addresses: what a DNS server on the network's gateway answers for.
    package func names(of network: String) -> [String: [IPAddress]] {
        var names: [String: [IPAddress]] = [:]
        for location in namedByKey.values where location.network == network {
            names[location.name, default: []].append(location.address)
        }
        return names.mapValues { $0.sorted() }
    }

    /// Replaces everything with a full read of `eps/` made at `revision`.
    package mutating func reset(to keyValues: [EtcdKeyValue], revision: Int64) -> [RemoteEndpointChange] {
        var fresh: [String: EndpointLocation] = [:]
        unreadable = [:]
        namedByKey = [:]
        for kv in keyValues {
            if let location = read(kv) { fresh[kv.key] = location }
        }
        var changes: [RemoteEndpointChange] = []
        for (key, old) in entriesByKey.sorted(by: { $0.key < $1.key }) where fresh[key] != old {
            changes.append(.removed(old))
        }
        for (key, new) in fresh.sorted(by: { $0.key < $1.key }) where entriesByKey[key] != new {
            changes.append(.added(new))
        }
        entriesByKey = fresh
        self.revision = revision
        return changes
    }

    /// Applies one watch message.
    package mutating func apply(_ response: EtcdWatchResponse) -> [RemoteEndpointChange] {
        var changes: [RemoteEndpointChange] = []
        // Replays after a resume may repeat what was applied: skip anything not newer. (One
        // transaction's events share a revision and come in one message, hence the start value.)
        let appliedUpTo = revision
        for event in response.events {
            let key = event.keyValue.key
            guard event.keyValue.modRevision > appliedUpTo else { continue }
            revision = max(revision, event.keyValue.modRevision)
            let old = entriesByKey[key]
            let new: EndpointLocation? = event.kind == .put ? read(event.keyValue) : nil
            if event.kind == .delete {
                unreadable[key] = nil
                namedByKey[key] = nil
            }
            guard old != new else { continue }
            if let old { changes.append(.removed(old)) }
            if let new { changes.append(.added(new)) }
            entriesByKey[key] = new
        }
        // A progress notice: nothing else happened up to its revision.
        if response.events.isEmpty && !response.created && !response.canceled && response.revision > revision {
            revision = response.revision
        }
        return changes
    }

    /// The location a key holds, or nil for this host's own endpoints and unreadable values.
    private mutating func read(_ kv: EtcdKeyValue) -> EndpointLocation? {
        guard let (network, address) = MultiHostKeys.networkAndAddress(of: kv.key, under: keys.allEndpoints) else {
            unreadable[kv.key] = "not eps/<network>/<address>"
            return nil
        }
        do {
            let location = try EndpointLocation(key: kv.key, json: kv.value, network: network, address: address)
            namedByKey[kv.key] = location.name.isEmpty ? nil : location
            return location.host == localHost ? nil : location
        } catch {
            unreadable[kv.key] = error.description
            return nil
        }
    }
}
