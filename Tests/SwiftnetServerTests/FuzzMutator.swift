import SwiftnetPlugin
import SwiftnetTestSupport

/// One request as the fuzz test sends it.
struct FuzzRequest {
    var method: String
    var path: String
    var body: [UInt8]
    /// The tree behind `body` when the body is still that tree's JSON (no byte-level damage).
    var tree: FuzzValue?
    /// What was done to the seed, for the failure message.
    var mutations: [String]
}

/// Breaks valid plugin requests the ways a hostile or broken client could: hostile numbers and
/// strings, swapped types, deleted and duplicated keys, deep nesting, huge arrays, truncation,
/// flipped bytes, wrong methods and paths.
struct FuzzMutator {
    var random: SplitMix64

    /// Numbers past every integer type swiftnet converts to, and the small ones that sit just
    /// outside a field's range.
    static let numbers = ["1e19", "-1e19", "9.3e18", "-9.3e18", "9223372036854775807", "9223372036854775808",
                          "-9223372036854775809", "18446744073709551616", "1e308", "-1e308", "1e400", "-1e400", "-0",
                          "-0.5", "0.5", "65536", "65535", "-1", "0", "4294967296", "1E+2", "1e-400", "256", "132"]

    static let strings: [[UInt8]] = [
        [], Array(String(repeating: "a", count: 10_000).utf8), Array("\u{1}\u{1B}[2J\u{7F}\u{85}\u{9B}".utf8),
        Array("\r\n2026-01-01T00:00:00+0000 critical swiftnet: [swiftnet] forged line".utf8), [0], [0xFF, 0xFE],
        [0xC0, 0x80], [0xED, 0xA0, 0x80], [0x61, 0xF4, 0x90, 0x80, 0x80], Array("ü中😀\u{2028}\u{2029}\u{202E}".utf8),
        Array("10.0.0.0/99999999999999999999".utf8), Array("0.0.0.0/0".utf8), Array("::/0".utf8), Array("::/128".utf8),
        Array("127.0.0.1/8".utf8), Array("127.0.0.0/24".utf8), Array("fe80::1/64".utf8), Array("224.0.0.1/4".utf8),
        Array("169.254.1.0/24".utf8), Array("1.2.3.4/33".utf8), Array("10.0.0.0/+8".utf8), Array("::ffff:1.2.3.4/120".utf8),
        Array("LocalDefault/10.0.0.0/8/10.0.0.0/99".utf8), Array("LocalDefault//".utf8), Array("a/b/c/d/e".utf8),
        Array("GlobalDefault/0.0.0.0/0".utf8), Array("00:00:00:00:00:00".utf8), Array("ff:ff:ff:ff:ff:ff".utf8),
        Array("+2:42:ac:12:00:09".utf8), Array("Aqq7zN3u".utf8), Array("AAAAAAAA====".utf8), Array("true".utf8),
        Array("1e19".utf8), Array("-".utf8), Array("%s%n%x".utf8), Array("../../etc/passwd".utf8), Array("docker0".utf8),
        Array("br-0123".utf8), Array("swv0123456789a".utf8), Array("a+".utf8), Array("eth0!".utf8),
        Array(String(repeating: "f", count: 64).utf8), Array(String(repeating: "F", count: 64).utf8),
    ]

    /// Keys an attacker might add: empty, prototype-ish, controls, wrong case of real ones.
    static let keys = ["", "__proto__", "Err", "poolid", "NETWORKID", "Options", "com.docker.network.generic",
                       "com.docker.network.portmap", "a\r\nb", "\u{0}"]

    static let maximumBody = 1_000_000

    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &random) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    /// A mutated copy of one valid request. `body` nil: the call takes no body. Mostly one
    /// change at a time, so that most mutations pass the decoder and reach the checks behind it.
    mutating func mutate(method: String = "POST", path: String, body: FuzzValue?) -> FuzzRequest {
        var request = FuzzRequest(method: method, path: path, body: body?.serialized ?? [], tree: body, mutations: [])
        if chance(8) { mutateRoute(&request) }
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 80, var tree = body ?? (chance(50) ? FuzzValue.object([]) : Optional<FuzzValue>.none) {
            if roll < 15 {
                // One hostile number in every numeric field at once (ports, protocols, MTUs…).
                let number = pick(FuzzMutator.numbers)
                tree = tree.replacingNumbers(with: number)
                request.mutations.append("every number \(number)")
            } else {
                for _ in 0..<(roll < 65 ? 1 : Int.random(in: 2...3, using: &random)) {
                    tree = mutateTree(tree, notes: &request.mutations)
                }
            }
            request.tree = tree
            request.body = tree.serialized
        } else {
            mutateBytes(&request.body, notes: &request.mutations)
            request.tree = nil
        }
        // Bodies over the body limit (16 MiB) are answered 413 before they are read: another test's job.
        if request.body.count > FuzzMutator.maximumBody {
            request.body = Array(request.body.prefix(FuzzMutator.maximumBody))
            request.tree = nil
            request.mutations.append("cut to \(FuzzMutator.maximumBody) bytes")
        }
        return request
    }

    private mutating func mutateRoute(_ request: inout FuzzRequest) {
        if chance(50) {
            request.method = pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "BREW", "post"])
            request.mutations.append("method \(request.method)")
        } else {
            let path = request.path
            request.path = pick([path + "/", path.lowercased(), path + "?x=1", "/" + path, "/Unknown.Call", "/state",
                                 "/NetworkDriver.GwAllocCheck", "/IpamDriver.", "/%0d%0aforged", "/%00" + path,
                                 "/" + String(repeating: "x", count: 4000), "/../state", "/Plugin.Activate"])
            request.mutations.append("path \(request.path.prefix(60))")
        }
    }

    private mutating func mutateTree(_ tree: FuzzValue, notes: inout [String]) -> FuzzValue {
        // A random walk from the root: cheap however big or deep earlier mutations made the tree.
        var path: FuzzValue.Path = []
        var node = tree
        while !node.children.isEmpty, !chance(20) {
            let index = Int.random(in: 0..<node.children.count, using: &random)
            path.append(index)
            node = node.children[index]
        }
        return tree.replacing(at: path) { node in
            let (changed, note) = mutateNode(node)
            notes.append("\(path): \(note)")
            return changed
        }
    }

    private mutating func mutateNode(_ node: FuzzValue) -> (FuzzValue, String) {
        // Mostly the same kind, broken: that is what passes the decoder and reaches the checks.
        if case .number = node, chance(60) {
            let number = pick(FuzzMutator.numbers)
            return (.number(number), "number \(number)")
        }
        if case .string = node, chance(50) {
            let bytes = stringMutation(of: node)
            return (.string(bytes), "string of \(bytes.count) bytes")
        }
        switch Int.random(in: 0..<10, using: &random) {
        case 0, 1:
            let number = pick(FuzzMutator.numbers)
            return (.number(number), "number \(number)")
        case 2, 3:
            let bytes = stringMutation(of: node)
            return (.string(bytes), "string of \(bytes.count) bytes")
        case 4:
            let swapped: [FuzzValue] = [.null, .bool(true), .bool(false), .number("1"), .text("x"), .array([]), .array([node]),
                                        .object([]), .object([(key: Array("x".utf8), value: node)])]
            return (pick(swapped), "type swap")
        case 5, 6:
            guard case .object(var members) = node else { return (.number(pick(FuzzMutator.numbers)), "number (not an object)") }
            switch Int.random(in: 0..<3, using: &random) {
            case 0 where !members.isEmpty:
                let removed = members.remove(at: Int.random(in: 0..<members.count, using: &random))
                return (.object(members), "deleted key \(String(decoding: removed.key, as: UTF8.self))")
            case 1 where !members.isEmpty:
                let member = pick(members)
                members.append((key: member.key, value: mutateNode(member.value).0))
                return (.object(members), "duplicated key \(String(decoding: member.key, as: UTF8.self))")
            default:
                let key = pick(FuzzMutator.keys)
                members.append((key: Array(key.utf8), value: mutateNode(.null).0))
                return (.object(members), "added key")
            }
        case 7:
            let depth = pick([63, 64, 65, 200, 1000])
            var wrapped = node
            for level in 0..<depth {
                wrapped = level % 2 == 0 ? .array([wrapped]) : .object([(key: Array("d".utf8), value: wrapped)])
            }
            return (wrapped, "nested \(depth) deep")
        case 8:
            let count = pick([1000, 60_000])
            let element = node.serialized.count <= 8 && chance(50) ? node : .number("0")
            return (.array(Array(repeating: element, count: count)), "array of \(count)")
        default:
            return (chance(50) ? .null : .object([]), "null or empty object")
        }
    }

    private mutating func stringMutation(of node: FuzzValue) -> [UInt8] {
        guard case .string(let original) = node, chance(40) else { return pick(FuzzMutator.strings) }
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return Array(original.prefix(Int.random(in: 0...original.count, using: &random)))
        case 1: return Array(String(decoding: original, as: UTF8.self).uppercased().utf8)
        case 2: return original + pick(FuzzMutator.strings).prefix(64)
        case 3: return Array(repeating: original, count: 50).flatMap { $0 }
        default:
            var bytes = original
            if !bytes.isEmpty { bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            return bytes
        }
    }

    private mutating func mutateBytes(_ body: inout [UInt8], notes: inout [String]) {
        switch Int.random(in: 0..<6, using: &random) {
        case 0:
            let length = body.isEmpty ? 0 : Int.random(in: 0..<body.count, using: &random)
            body = Array(body.prefix(length))
            notes.append("truncated to \(length)")
        case 1 where !body.isEmpty:
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                body[Int.random(in: 0..<body.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            notes.append("flipped bytes")
        case 2:
            let byte = pick([0x00, 0x0A, 0x0D, 0x1B, 0x7F, 0xFF] as [UInt8])
            body.insert(byte, at: Int.random(in: 0...body.count, using: &random))
            notes.append("raw byte \(byte)")
        case 3:
            body = []
            notes.append("empty body")
        case 4:
            body += Array(pick(["}", "]", ",", " x", "{}", "\u{0}"]).utf8)
            notes.append("trailing garbage")
        default:
            body = (0..<Int.random(in: 1...64, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            notes.append("random bytes")
        }
    }
}
