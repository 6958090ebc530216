import SwiftnetJSON
import SwiftnetOperator
import XCTest

/// `--format`'s Go-template subset: what it prints, and what it refuses before anything runs.
final class OutputTemplateTests: XCTestCase {
    let network = NetworkView(
        id: String(repeating: "ab", count: 32), bridge: "swn-ababababab", state: "ready", mode: "nat", isInternal: false,
        ipv6: true, mtu: nil, options: ["com.docker.network.driver.mtu": "1400", "com.docker.network.bridge.enable_icc": "false"],
        subnets: [.init(prefix: "10.77.0.0/24", gateway: "10.77.0.1", poolID: "LocalDefault/10.77.0.0/24"),
                  .init(prefix: "fd00:77::/64", gateway: nil, poolID: nil)],
        endpointCount: 2, capacity: "254")
    let pool = PoolView(id: "LocalDefault/10.77.0.0/24", addressSpace: "LocalDefault", prefix: "10.77.0.0/24", subPool: nil,
                        allocated: 3, capacity: "254", networkID: String(repeating: "ab", count: 32))

    func render(_ source: String, _ items: [TemplateItem], fields: [String] = NetworkView.templateFields) throws -> String? {
        try OutputTemplate(source, fields: fields, subject: "ls").render(items)
    }

    func testFieldsPrintAsTextListsCommaSeparatedAndMissingValuesAsNothing() throws {
        let line = try render("{{.ShortID}} {{ .Bridge }} {{.Subnets}} {{.Gateways}} {{.MTU}}|{{.IPv6}} {{.Endpoints}}/{{.Capacity}} {{.Options}}",
                              [network.templateItem()])
        XCTAssertEqual(line, "abababababab swn-ababababab 10.77.0.0/24,fd00:77::/64 10.77.0.1 |true 2/254 "
                       + "com.docker.network.bridge.enable_icc=false,com.docker.network.driver.mtu=1400\n")
        XCTAssertEqual(try render("{{.ID}}\\t{{.Mode}}\\n", [network.templateItem()]), network.id + "\tnat\n\n",
                       "\\t and \\n are a tab and a newline, as in Docker")
        XCTAssertEqual(try render("{{.Prefix}} {{.SubPool}}- {{.Allocated}} {{.Utilisation}} {{.Network}}", [pool.templateItem],
                                  fields: PoolView.templateFields),
                       "10.77.0.0/24 - 3 0.0118 \(network.id)\n")
    }

    func testJSONOfTheItemAndOfAField() throws {
        XCTAssertEqual(try render("{{json .}}", [network.templateItem()]), network.json.serializedString + "\n")
        XCTAssertEqual(try render("{{json .Subnets}} {{json .MTU}} {{json .Internal}}", [network.templateItem()]),
                       #"["10.77.0.0/24","fd00:77::/64"] null false"# + "\n")
        XCTAssertEqual(try render("json", [network.templateItem(), network.templateItem()]),
                       String(repeating: network.json.serializedString + "\n", count: 2), "one object per line")
        let whole = JSONValue.object(["network": network.json])
        XCTAssertEqual(try render("{{json .}}", [network.templateItem(whole: whole)]), whole.serializedString + "\n")
    }

    func testTableAlignsColumnsUnderAHeader() throws {
        var other = network
        other.bridge = "br-long-name"
        XCTAssertEqual(try render("table {{.ShortID}}\\t{{.Bridge}}\\t{{.Endpoints}}", [network.templateItem(), other.templateItem()]),
                       "SHORT ID      BRIDGE          ENDPOINTS\n"
                       + "abababababab  swn-ababababab  2\n"
                       + "abababababab  br-long-name    2\n")
        XCTAssertNil(try render("table", [network.templateItem()]), "the command's own text")
        XCTAssertEqual(try OutputTemplate(" table ", fields: [], subject: "ls").kind, .defaultText)
    }

    func testUnknownFieldsAndOtherActionsAreRefusedNamingWhatIsAccepted() {
        func refusal(_ source: String) -> String {
            do {
                _ = try OutputTemplate(source, fields: NetworkView.templateFields, subject: "ls")
                return "accepted"
            } catch {
                return error.description
            }
        }
        XCTAssertEqual(refusal("{{.Foo}}"), "--format: ls has no field .Foo; its fields: "
                       + NetworkView.templateFields.map { "." + $0 }.joined(separator: " "))
        XCTAssertTrue(refusal("{{.Name}}").contains("dockerd does not tell a plugin a network's name"), refusal("{{.Name}}"))
        XCTAssertTrue(refusal("{{.ID}} {{.id}}").hasPrefix("--format: ls has no field .id;"), "fields are case-sensitive, as in Go")
        for action in ["{{if .ID}}x{{end}}", "{{range .Subnets}}{{.}}{{end}}", "{{.ID | printf \"%s\"}}", "{{upper .ID}}", "{{.}}",
                       "{{.Options.x}}", "{{json}}"] {
            XCTAssertTrue(refusal(action).contains("is not supported; --format takes json, table, or a template"), "\(action): \(refusal(action))")
        }
        XCTAssertEqual(refusal("{{.ID"), "--format: '{{' without '}}' in '{{.ID'")
        XCTAssertEqual(refusal(".ID}}"), "--format: '}}' without '{{' in '.ID}}'")
        XCTAssertTrue(refusal("plain words").hasPrefix("--format: 'plain words' prints no field"), refusal("plain words"))
    }

    func testInspectOutputIsIndentedAsDockerPrintsIt() throws {
        let value = JSONValue.array([.object(["a": .number(1), "b": .array([]), "c": .object([:]), "d": .array([.string("x\"y")])])])
        XCTAssertEqual(value.indentedString, """
            [
                {
                    "a": 1,
                    "b": [],
                    "c": {},
                    "d": [
                        "x\\"y"
                    ]
                }
            ]
            """)
        XCTAssertEqual(JSONValue.array([]).indentedString, "[]")
        let parsed = try JSONParser.parse(Array(value.indentedString.utf8))
        XCTAssertEqual(parsed, value)
    }
}
