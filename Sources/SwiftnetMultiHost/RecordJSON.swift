import SwiftnetAddress
import SwiftnetJSON

/// Reading the JSON records swiftnet keeps in etcd; a record that does not read is an error
/// naming its key, never a crash or a silent default.
struct RecordJSON {
    let key: String
    let object: JSONObject

    init(key: String, value: String) throws(MultiHostError) {
        self.key = key
        do {
            object = try JSONParser.parse(value).asObject()
        } catch {
            throw .malformedRecord(key: key, reason: "\(error)")
        }
    }

    func string(_ field: String) throws(MultiHostError) -> String {
        guard case .string(let value)? = object[field] else { throw .malformedRecord(key: key, reason: "no string \(field)") }
        return value
    }

    func int(_ field: String) throws(MultiHostError) -> Int {
        guard case .number(let value)? = object[field], value == value.rounded(), abs(value) < 1e15 else {
            throw .malformedRecord(key: key, reason: "no integer \(field)")
        }
        return Int(value)
    }

    func address(_ field: String) throws(MultiHostError) -> IPAddress {
        guard let value = IPAddress(try string(field)) else { throw .malformedRecord(key: key, reason: "\(field) is not an address") }
        return value
    }

    func prefix(_ field: String) throws(MultiHostError) -> IPPrefix {
        guard let value = IPPrefix(try string(field)) else { throw .malformedRecord(key: key, reason: "\(field) is not a prefix") }
        return value
    }

    func mac(_ field: String) throws(MultiHostError) -> [UInt8] {
        guard let value = MACText.parse(try string(field)) else { throw .malformedRecord(key: key, reason: "\(field) is not a MAC address") }
        return value
    }
}

/// `aa:bb:cc:dd:ee:ff`, as records carry MAC addresses.
package enum MACText {
    package static func format(_ mac: [UInt8]) -> String {
        mac.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    package static func parse(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6 else { return nil }
        var mac: [UInt8] = []
        for part in parts {
            guard part.count == 2, let byte = UInt8(part, radix: 16) else { return nil }
            mac.append(byte)
        }
        return mac
    }
}
