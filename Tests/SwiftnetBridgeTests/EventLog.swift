import Synchronization

/// One ordered list of what the fakes were asked to do, shared by the store, the dataplane and
/// the firewall: "records before effects" is an order between them.
final class EventLog: Sendable {
    private let events = Mutex<[String]>([])

    func append(_ event: String) {
        events.withLock { $0.append(event) }
    }

    var all: [String] { events.withLock { $0 } }

    func clear() {
        events.withLock { $0.removeAll() }
    }

    /// The position of the first event starting with `prefix`, or nil.
    func index(of prefix: String) -> Int? {
        all.firstIndex { $0.hasPrefix(prefix) }
    }
}

struct InjectedFailure: Error, CustomStringConvertible {
    var what: String
    var description: String { "injected failure: \(what)" }
}
