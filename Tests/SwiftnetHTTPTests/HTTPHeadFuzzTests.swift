import Foundation
import SwiftnetHTTP
import SwiftnetTestSupport
import XCTest

/// Answers every request 200 with a JSON body, whatever its path or body.
private struct AnswerEverything: HTTPHandler {
    func handle(_ request: HTTPRequest) -> HTTPResponse { .json(200, Array(#"{}"#.utf8)) }
}

/// Random request heads: the framing headers, cookies, duplicates, the name's case and white
/// space around values, in combinations no grid lists, each with the body its framing asks
/// for. A connection's first head must get a JSON answer (the gate's promise); a later head on
/// a kept-alive connection must get an answer, never silence or a bare close (libmicrohttpd
/// parses those, and may answer in HTML). A head that is well-formed by construction must get
/// 200 either way. Replay with `SWIFTNET_FUZZ_SEED` and the same `SWIFTNET_FUZZ_HEADS` (heads
/// per kind, 600 by default; the later heads continue the same sequence).
final class HTTPHeadFuzzTests: HTTPServerTestCase {
    static let defaultSeed: UInt64 = 0x4EAD_2026_1202

    struct Head {
        var text: String
        var body: String
        /// Well-formed by construction: a valid request line and framing, within the limits.
        var mustBeServed: Bool
        /// What was chosen, for the failure message.
        var description: String { text.debugDescription + " + " + body.debugDescription }
    }

    struct HeadMaker {
        var random: SplitMix64

        mutating func pick<T>(_ choices: [T]) -> T { choices[Int(random.next() % UInt64(choices.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { random.next() % 100 < percent }

        /// The name in one of three spellings of its case.
        mutating func spell(_ name: String) -> String { pick([name, name.lowercased(), name.uppercased()]) }

        mutating func make() -> Head {
            let requestLine = chance(90) ? "POST /ping HTTP/1.1"
                : pick(["POST /ping HTTP/1.0", "post /ping HTTP/1.1", "POST  /ping HTTP/1.1", "POST /ping HTTP/2.0",
                        "POST /ping?a=1&b=2 HTTP/1.1", "POST /ping HTTP/1.1 ", "POST /ping"])
            var wellFormed = ["POST /ping HTTP/1.1", "POST /ping HTTP/1.0", "POST /ping?a=1&b=2 HTTP/1.1"].contains(requestLine)
            var fieldCount = requestLine.contains("?") ? 3 : 1
            // Each field with the Content-Length or Transfer-Encoding value it carries, if any.
            var fields: [(text: String, length: String?, encoding: String?)] = [("Host: x", nil, nil)]
            for _ in 0..<Int(random.next() % 4) {
                let before = pick(["", " ", "\t", " \t"]), after = chance(75) ? "" : pick([" ", "\t"])
                switch random.next() % 6 {
                case 0, 1:
                    let value = pick(["0", "2", "5", "02", "+2", "-1", "", "2x", "2 2", "2,2", "99999999999999999999", "17"])
                    fields.append((spell("Content-Length") + ":" + before + value + after, before + value + after, nil))
                case 2:
                    let value = pick(["chunked", "Chunked", "gzip", "chunked, chunked", "identity", "", "chunked;x=1"])
                    fields.append((spell("Transfer-Encoding") + ":" + before + value + after, nil, before + value + after))
                case 3:
                    let cookies = (0..<Int(random.next() % 160)).map { "c\($0)=v" }
                    let separator = pick([";", ",", "; ", ", "])
                    fieldCount += cookies.count
                    fields.append((spell("Cookie") + ":" + before + cookies.joined(separator: separator) + after, nil, nil))
                case 4:
                    let value = pick(["close", "keep-alive", "upgrade", ""])
                    wellFormed = wellFormed && (value == "close" || value == "keep-alive")
                    fields.append((spell("Connection") + ":" + before + value + after, nil, nil))
                default:
                    fields.append(("X-\(random.next() % 1000):" + before + String(repeating: "v", count: Int(random.next() % 300)) + after, nil, nil))
                }
            }
            // Fisher–Yates by hand: the standard library's shuffle may change between Swift
            // versions, and a seed must give the same heads on every toolchain.
            for index in stride(from: fields.count - 1, to: 0, by: -1) {
                fields.swapAt(index, Int(random.next() % UInt64(index + 1)))
            }
            // The body its framing asks for, as libmicrohttpd reads it: any Transfer-Encoding
            // wins, else the first Content-Length in the head; a body the server cannot frame
            // is not sent.
            var body = ""
            if fields.contains(where: { $0.encoding != nil }) {
                body = "2\r\n{}\r\n0\r\n\r\n"
            } else if let first = fields.lazy.compactMap(\.length).first {
                let value = first.drop { $0 == " " || $0 == "\t" }
                if let count = Int(value), count <= 64, value.allSatisfy(\.isNumber) { body = String(repeating: "x", count: count) }
            }
            let text = requestLine + "\r\n" + fields.map(\.text).joined(separator: "\r\n") + "\r\n\r\n"
            // Framing the gate and libmicrohttpd both take: lengths that are the same plain
            // number, or only `chunked` codings, not both; nothing after a value.
            let lengths = fields.compactMap(\.length), encodings = fields.compactMap(\.encoding)
            func trimmed(_ value: String) -> Substring { value.drop { $0 == " " || $0 == "\t" } }
            let plainLengths = lengths.allSatisfy { value in
                let number = trimmed(value)
                return !number.isEmpty && number.allSatisfy(\.isNumber) && Int(number).map { $0 <= 64 } == true
            }
            wellFormed = wellFormed && plainLengths && Set(lengths.compactMap { Int(trimmed($0)) }).count <= 1
                && encodings.allSatisfy { trimmed($0).lowercased() == "chunked" } && (lengths.isEmpty || encodings.isEmpty)
                && fieldCount + fields.count <= 90 && text.utf8.count <= 8000
            return Head(text: text, body: body, mustBeServed: wellFormed)
        }
    }

    func testRandomHeadsAlwaysGetAnAnswer() throws {
        try startServer(HTTPServerConfiguration(), handler: AnswerEverything(), logLevel: .critical)
        let seed = SplitMix64.seed(default: HTTPHeadFuzzTests.defaultSeed)
        let count = ProcessInfo.processInfo.environment["SWIFTNET_FUZZ_HEADS"].flatMap { Int($0) } ?? 600
        print("head fuzz: seed 0x\(String(seed, radix: 16)) (SWIFTNET_FUZZ_SEED), \(count) heads of each kind")
        var maker = HeadMaker(random: SplitMix64(seed: seed))
        var failures = 0
        var statuses: [String: Int] = [:]
        for _ in 0..<count where failures < 10 {
            let head = maker.make()
            let connection = try RawUnixConnection(path: socketPath)
            connection.send(head.text + head.body)
            guard connection.waitForResponse(seconds: 3), let response = connection.response else {
                failures += 1
                XCTFail("first head, no answer within 3 s: \(head.description)")
                continue
            }
            statuses["first \(response.status)", default: 0] += 1
            if response.headers["content-type"] != "application/json" {
                failures += 1
                XCTFail("first head, \(response.status) not in JSON: \(head.description)")
            } else if head.mustBeServed && response.status != 200 {
                failures += 1
                XCTFail("first head, well-formed, got \(response.status) \(response.body): \(head.description)")
            }
        }
        for _ in 0..<count where failures < 10 {
            let head = maker.make()
            let connection = try RawUnixConnection(path: socketPath)
            connection.send("POST /ping HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            guard connection.waitForResponse(seconds: 3), connection.response?.status == 200,
                  connection.response?.headers["connection"]?.lowercased() != "close", !connection.isClosedByServer() else {
                failures += 1
                XCTFail("the first request of a connection was not answered, or the connection not kept alive")
                continue
            }
            connection.forgetReceived()
            connection.send(head.text + head.body)
            guard connection.waitForResponse(seconds: 3), let response = connection.response else {
                failures += 1
                XCTFail("later head, \(connection.isClosedByServer() ? "closed without an answer" : "no answer within 3 s"): \(head.description)")
                continue
            }
            statuses["later \(response.status)", default: 0] += 1
            if head.mustBeServed && response.status != 200 {
                failures += 1
                XCTFail("later head, well-formed, got \(response.status) \(response.body): \(head.description)")
            }
        }
        print("head fuzz: statuses " + statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))
        XCTAssertGreaterThan(statuses["first 200", default: 0], count / 5, "too few first heads were served to test much")
        XCTAssertGreaterThan(statuses["later 200", default: 0], count / 5, "too few later heads were served to test much")
    }
}
