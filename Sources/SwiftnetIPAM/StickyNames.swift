import SwiftnetAddress

/// The sticky names of one pool: container name → the address it last had, so that a
/// container recreated under the same name gets its address back. Bounded two ways: one name
/// per address (a name remembered for an address replaces the name that had it), and at most
/// `capacity` names, the least recently used forgotten first. Every change is planned
/// (`planUse`) before it is committed and applied, like the rest of the allocator.
struct StickyNames: Sendable {
    struct Entry: Sendable {
        var address: IPAddress
        var lastUse: Int64
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var nameAt: [IPAddress: String] = [:]
    /// Names in order of use, least recent first. A name used again is appended; its older
    /// position is stale (its use no longer matches) and skipped. `head` is the first live one.
    private var order: [(lastUse: Int64, name: String)] = []
    private var head = 0
    private(set) var lastUse: Int64 = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a sticky table holds at least one name")
        self.capacity = capacity
    }

    var count: Int { entries.count }

    /// Positions kept in the use order, stale ones included (tests check the bound).
    var positionsTracked: Int { order.count }

    func address(for name: String) -> IPAddress? { entries[name]?.address }

    func name(at address: IPAddress) -> String? { nameAt[address] }

    /// What handing `address` out to `name` changes: the name is remembered (or marked used
    /// now) for the address; the name the address had is forgotten; and when that makes one
    /// name too many, the least recently used other name is forgotten.
    func planUse(name: String, address: IPAddress, poolID: String) -> StickyUpdate {
        var forget: [String] = []
        var count = entries.count
        if let previous = nameAt[address], previous != name {
            forget.append(previous)
            count -= 1
        }
        if entries[name] == nil { count += 1 }
        if count > capacity, let oldest = leastRecentlyUsed(excluding: forget + [name]) {
            forget.append(oldest)
        }
        return StickyUpdate(remember: StickyRecord(poolID: poolID, name: name, address: address, lastUse: lastUse &+ 1),
                            forget: forget)
    }

    mutating func apply(_ update: StickyUpdate) {
        for name in update.forget { remove(name) }
        let record = update.remember
        if let old = entries[record.name], nameAt[old.address] == record.name { nameAt[old.address] = nil }
        entries[record.name] = Entry(address: record.address, lastUse: record.lastUse)
        nameAt[record.address] = record.name
        order.append((record.lastUse, record.name))
        lastUse = max(lastUse, record.lastUse)
        tidy()
    }

    /// Start-up: takes a stored entry (in order of use, least recent first) under the same
    /// bounds; returns the names that had to go (tables written before the bounds existed).
    mutating func restore(_ record: StickyRecord) -> [String] {
        var update = planUse(name: record.name, address: record.address, poolID: record.poolID)
        update.remember.lastUse = record.lastUse
        apply(update)
        return update.forget
    }

    private func leastRecentlyUsed(excluding excluded: [String]) -> String? {
        var index = head
        while index < order.count {
            let (use, name) = order[index]
            if entries[name]?.lastUse == use, !excluded.contains(name) { return name }
            index += 1
        }
        return nil
    }

    private mutating func remove(_ name: String) {
        guard let entry = entries.removeValue(forKey: name) else { return }
        if nameAt[entry.address] == name { nameAt[entry.address] = nil }
    }

    /// Keeps `head` on a live name and the order list within twice the live names (plus
    /// slack), so lookups of the least recent stay short and memory stays bounded.
    private mutating func tidy() {
        while head < order.count, entries[order[head].name]?.lastUse != order[head].lastUse { head += 1 }
        if order.count > 2 * entries.count + 64 {
            order = order[head...].filter { entries[$0.name]?.lastUse == $0.lastUse }
            head = 0
        } else if head > 64, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}

/// A sticky name's change as one allocation commits it.
package struct StickyUpdate: Sendable, Equatable {
    /// The name, the address it gets and its new last use.
    package var remember: StickyRecord
    /// Names of the same pool forgotten in the same commit: the name the address had before,
    /// and the least recently used one when the pool is at its bound.
    package var forget: [String]

    package init(remember: StickyRecord, forget: [String]) {
        self.remember = remember
        self.forget = forget
    }
}
