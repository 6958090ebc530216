import SwiftnetJSON

/// `--format` of `ls`, `inspect` and `pools`: the part of Docker's Go templates that
/// operators use with `docker network ls/inspect` — text with `{{.Field}}`, `{{json .}}` and
/// `{{json .Field}}`, `\t` and `\n` written as in Docker, a leading `table` for aligned columns
/// with a header, and the words `json` (one JSON object per line) and `table` (the default
/// text). Anything else — unknown fields, `if`, `range`, pipes, functions — is refused when
/// the template is read, before anything is asked of the server, naming what is accepted.
package struct OutputTemplate: Sendable, Equatable {
    package enum Piece: Sendable, Equatable {
        case text(String)
        case field(String)
        /// `{{json .}}` (nil) or `{{json .Field}}`.
        case json(String?)
    }

    /// The words that are not templates.
    package enum Kind: Sendable, Equatable {
        /// `--format table`: the command's usual text.
        case defaultText
        /// `--format json`: `{{json .}}` per item.
        case jsonLines
        /// A template, with `table` in front when `isTable`.
        case template(pieces: [Piece], isTable: Bool)
    }

    package let kind: Kind

    /// Reads `source` for items that have `fields` (`subject` names them in errors: "ls",
    /// "pools").
    package init(_ source: String, fields: [String], subject: String) throws(OutputTemplateError) {
        let trimmed = source.trimmingSpaces
        switch trimmed {
        case "table": kind = .defaultText; return
        case "json": kind = .jsonLines; return
        default: break
        }
        var body = trimmed
        var isTable = false
        if body.hasPrefix("table ") {
            isTable = true
            body = String(body.dropFirst("table ".count))
        }
        // As Docker's formatter does: a literal backslash-t or backslash-n is a tab or newline.
        body = body.replacingEscapes
        var pieces: [Piece] = []
        var rest = Substring(body)
        while let open = rest.firstRange(of: "{{") {
            if open.lowerBound > rest.startIndex { pieces.append(.text(String(rest[..<open.lowerBound]))) }
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else { throw .unclosedAction(String(rest[open.lowerBound...])) }
            pieces.append(try OutputTemplate.piece(String(afterOpen[..<close.lowerBound]), fields: fields, subject: subject))
            rest = afterOpen[close.upperBound...]
        }
        if rest.contains("}}") { throw .unopenedAction(String(rest)) }
        if !rest.isEmpty { pieces.append(.text(String(rest))) }
        guard pieces.contains(where: { if case .text = $0 { return false } else { return true } }) else {
            throw .noAction(source)
        }
        kind = .template(pieces: pieces, isTable: isTable)
    }

    private static func piece(_ action: String, fields: [String], subject: String) throws(OutputTemplateError) -> Piece {
        let words = action.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        func field(_ word: String) throws(OutputTemplateError) -> String {
            let name = String(word.dropFirst())
            guard word.hasPrefix("."), !name.isEmpty, !name.contains(".") else {
                throw .unsupportedAction("{{\(action)}}")
            }
            guard fields.contains(name) else { throw .unknownField(name, subject: subject, known: fields) }
            return name
        }
        switch words.count {
        case 1 where words[0] == ".": throw .unsupportedAction("{{.}}")
        case 1: return .field(try field(words[0]))
        case 2 where words[0] == "json": return words[1] == "." ? .json(nil) : .json(try field(words[1]))
        default: throw .unsupportedAction("{{\(action)}}")
        }
    }

    /// One item's line(s) (without the final newline) for a template kind.
    package static func render(_ pieces: [Piece], _ item: TemplateItem) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .text(let text): out += text
            case .field(let name): out += item.fields[name]?.text ?? ""
            case .json(nil): out += item.json.serializedString
            case .json(let name?): out += (item.fields[name]?.json ?? .null).serializedString
            }
        }
        return out
    }

    /// Everything printed for `items`: each item on its line, or for `table …` a header and
    /// aligned columns (cells are what the template's tabs separate).
    package func render(_ items: [TemplateItem]) -> String? {
        switch kind {
        case .defaultText: return nil
        case .jsonLines: return items.map { $0.json.serializedString + "\n" }.joined()
        case .template(let pieces, isTable: false):
            return items.map { OutputTemplate.render(pieces, $0) + "\n" }.joined()
        case .template(let pieces, isTable: true):
            let header = pieces.map { piece -> String in
                switch piece {
                case .text(let text): return text
                case .field(let name), .json(let name?): return OutputTemplate.header(name)
                case .json(nil): return "JSON"
                }
            }.joined().split(separator: "\t", omittingEmptySubsequences: false).map { $0.trimmingSpaces }
            var table = TextTable(header)
            for item in items {
                table.add(OutputTemplate.render(pieces, item).split(separator: "\t", omittingEmptySubsequences: false).map(String.init))
            }
            return table.text
        }
    }

    /// `ShortID` → `SHORT ID`, `AddressSpace` → `ADDRESS SPACE`, `IPv6` → `IPV6`.
    static func header(_ name: String) -> String {
        var out = ""
        var previous: Character?
        for character in name {
            if character.isUppercase, let previous, previous.isLowercase { out += " " }
            out.append(character)
            previous = character
        }
        return out.uppercased()
    }
}

/// What a template can print of one item: its fields as text and as JSON, and the item as a
/// whole (`{{json .}}`, the documented JSON shape).
package struct TemplateItem: Sendable, Equatable {
    package struct Value: Sendable, Equatable {
        package var text: String
        package var json: JSONValue

        package init(text: String, json: JSONValue) {
            self.text = text
            self.json = json
        }

        package static func string(_ value: String?) -> Value { Value(text: value ?? "", json: .optional(value)) }
        package static func integer(_ value: Int?) -> Value {
            Value(text: value.map(String.init) ?? "", json: value.map { .integer($0) } ?? .null)
        }
        package static func bool(_ value: Bool) -> Value { Value(text: String(value), json: .bool(value)) }
        /// Printed comma-separated (as Docker prints labels), a JSON array of strings.
        package static func list(_ values: [String]) -> Value {
            Value(text: values.joined(separator: ","), json: .array(values.map { .string($0) }))
        }
    }

    package var fields: [String: Value]
    package var json: JSONValue

    package init(fields: [String: Value], json: JSONValue) {
        self.fields = fields
        self.json = json
    }
}

package enum OutputTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownField(String, subject: String, known: [String])
    case unsupportedAction(String)
    case unclosedAction(String)
    case unopenedAction(String)
    case noAction(String)

    package var description: String {
        let accepted = "--format takes json, table, or a template of {{.Field}}, {{json .}} and {{json .Field}} (a leading 'table' aligns columns at \\t)"
        switch self {
        case .unknownField(let name, let subject, let known):
            let why = name == "Name"
                ? " (dockerd does not tell a plugin a network's name; `docker network inspect` shows it)" : ""
            return "--format: \(subject) has no field .\(name)\(why); its fields: \(known.map { "." + $0 }.joined(separator: " "))"
        case .unsupportedAction(let action):
            return "--format: \(action) is not supported; \(accepted)"
        case .unclosedAction(let text):
            return "--format: '{{' without '}}' in '\(text)'"
        case .unopenedAction(let text):
            return "--format: '}}' without '{{' in '\(text)'"
        case .noAction(let source):
            return "--format: '\(source)' prints no field; \(accepted)"
        }
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }

    var replacingEscapes: String {
        var out = ""
        var iterator = makeIterator()
        while let character = iterator.next() {
            guard character == "\\" else { out.append(character); continue }
            switch iterator.next() {
            case "t"?: out.append("\t")
            case "n"?: out.append("\n")
            case let other?: out.append(character); out.append(other)
            case nil: out.append(character)
            }
        }
        return out
    }
}

extension Substring {
    var trimmingSpaces: String { String(self).trimmingSpaces }
}
