import ArgumentParser
import SwiftnetOperator

/// `--format` of `ls`, `inspect` and `pools` (see `OutputTemplate`).
struct FormatOption: ParsableArguments {
    @Option(help: ArgumentHelp("json, table, or a Go-template subset: {{.Field}}, {{json .}}, {{json .Field}}, \\t, \\n, a leading 'table' (see above).",
                               valueName: "format"))
    var format: String?

    /// Refuses a template with unknown fields or actions, and `--format` beside `--json`,
    /// before anything is asked of the server.
    func validate(fields: [String], subject: String, json: Bool) throws {
        guard let format else { return }
        if json { throw ValidationError("--json and --format: give one") }
        do {
            _ = try OutputTemplate(format, fields: fields, subject: subject)
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// `--format table`.
    var isDefaultText: Bool {
        guard let format, let template = try? OutputTemplate(format, fields: [], subject: "") else { return false }
        return template.kind == .defaultText
    }

    /// The output for `items`, or nil for the command's usual output (no `--format`, or
    /// `--format table`).
    func render(_ items: [TemplateItem], fields: [String], subject: String) throws -> String? {
        guard let format else { return nil }
        return try OutputTemplate(format, fields: fields, subject: subject).render(items)
    }

    static func discussion(fields: [String], json: String) -> String {
        """
        --format json prints one JSON object per line (\(json)); --format table the usual text; \
        any other value is a template printed once per item: {{.Field}} with Field one of \
        \(fields.joined(separator: ", ")); {{json .}} (\(json)); {{json .Field}}; \
        \\t and \\n are a tab and a newline; a leading 'table' prints a header and aligns the \
        columns the tabs separate. Lists print comma-separated, a missing value as nothing. \
        Other template actions and unknown fields are refused (exit status 64).
        """
    }
}
