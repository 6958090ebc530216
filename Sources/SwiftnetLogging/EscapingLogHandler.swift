import Logging

/// Wraps a log handler so that nothing a client sent can forge or split a log line: the
/// message, every metadata key and value (handler, provider and call-site metadata) and an
/// attached error's text reach the wrapped handler escaped (`String.logEscaped`).
package struct EscapingLogHandler<Wrapped: LogHandler>: LogHandler {
    private var wrapped: Wrapped

    package init(_ wrapped: Wrapped) {
        self.wrapped = wrapped
    }

    package func log(event: LogEvent) {
        var escaped = event
        escaped.message = Logger.Message(stringLiteral: event.message.description.logEscaped)
        var metadata = event.metadata.map(EscapingLogHandler.escape)
        if let error = event.error {
            // The wrapped handler would print the error's text as it is: print it escaped instead.
            metadata = metadata ?? [:]
            metadata?["error.message"] = .string("\(error)".logEscaped)
            metadata?["error.type"] = .string(String(reflecting: type(of: error)).logEscaped)
            escaped.error = nil
        }
        escaped.metadata = metadata
        wrapped.log(event: escaped)
    }

    package var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    package var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = EscapingLogHandler.escape(newValue) }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key.logEscaped] }
        set { wrapped[metadataKey: key.logEscaped] = newValue.map(EscapingLogHandler.escape) }
    }

    package var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set {
            wrapped.metadataProvider = newValue.map { provider in
                Logger.MetadataProvider { EscapingLogHandler.escape(provider.get()) }
            }
        }
    }

    static func escape(_ metadata: Logger.Metadata) -> Logger.Metadata {
        // Most lines need nothing escaped: then the dictionary is passed on, not rebuilt.
        guard metadata.contains(where: { $0.key.needsLogEscape || needsEscape($0.value) }) else { return metadata }
        var result: Logger.Metadata = [:]
        for (key, value) in metadata { result[key.logEscaped] = escape(value) }
        return result
    }

    static func needsEscape(_ value: Logger.Metadata.Value) -> Bool {
        switch value {
        case .string(let text): return text.needsLogEscape
        // Its description is made again by whoever prints it, and could differ then.
        case .stringConvertible: return true
        case .array(let items): return items.contains(where: needsEscape)
        case .dictionary(let metadata): return metadata.contains { $0.key.needsLogEscape || needsEscape($0.value) }
        }
    }

    static func escape(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let text): return .string(text.logEscaped)
        case .stringConvertible(let item): return .string(item.description.logEscaped)
        case .array(let items): return .array(items.map(escape))
        case .dictionary(let metadata): return .dictionary(escape(metadata))
        }
    }
}
