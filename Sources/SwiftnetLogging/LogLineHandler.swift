#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Writes each event as one line: the message, then the metadata as `key=value` sorted by
/// key, a value in double quotes when it is empty or holds a space, `"` or `=` (a `"` inside
/// written `\"`), so that `key=value` pairs can be read back whatever the values hold.
///
/// Two styles: `.plain` starts the line with a timestamp, the level and the label, for a log
/// file or a terminal; `.journal` starts it with the syslog priority in angle brackets and
/// nothing else, for systemd's journal, which stamps the time itself and reads `<N>` as the
/// line's priority (so `journalctl -p warning` filters). The handler does not escape control
/// characters: `swiftnet serve` wraps it in `EscapingLogHandler`.
package struct LogLineHandler: LogHandler {
    package enum Style: Sendable, Equatable {
        case plain
        case journal
    }

    package let label: String
    package let style: Style
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> String
    package var logLevel: Logger.Level = .info
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    /// `write` gets each whole line, newline included; `now` the timestamp of `.plain` lines.
    package init(label: String, style: Style, write: @escaping @Sendable (String) -> Void = LogLineHandler.writeToStandardError,
                 now: @escaping @Sendable () -> String = LogLineHandler.localTimestamp) {
        self.label = label
        self.style = style
        self.write = write
        self.now = now
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        var all: Logger.Metadata
        if metadata.isEmpty && metadataProvider == nil {
            all = event.metadata ?? [:]  // the usual case, without a merge into a new dictionary
        } else {
            all = metadata
            if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
            if let explicit = event.metadata { all.merge(explicit) { _, new in new } }
        }
        if let error = event.error { all["error"] = .string("\(error)") }
        var line: String
        switch style {
        case .plain: line = "\(now()) \(event.level) \(label): \(event.message)"
        case .journal: line = "<\(LogLineHandler.priority(event.level))>\(event.message)"
        }
        for (key, value) in all.sorted(by: { $0.key < $1.key }) {
            line += " " + key + "=" + LogLineHandler.quotedIfNeeded(value.description)
        }
        write(line + "\n")
    }

    /// sd-daemon(3)'s priorities: emerg 0 … debug 7. swift-log's trace has none below debug.
    package static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// Scans the UTF-8 bytes, not Characters: every log line's values pass here, and grapheme
    /// breaking cost more than the rest of the line (perf). A `"` joined by a combining mark is
    /// escaped too, which the Character test missed.
    package static func quotedIfNeeded(_ value: String) -> String {
        let space = UInt8(ascii: " "), quote = UInt8(ascii: "\""), equals = UInt8(ascii: "=")
        guard value.isEmpty || value.utf8.contains(where: { $0 == space || $0 == quote || $0 == equals }) else { return value }
        var bytes: [UInt8] = [quote]
        bytes.reserveCapacity(value.utf8.count + 8)
        for byte in value.utf8 {
            if byte == quote { bytes.append(UInt8(ascii: "\\")) }
            bytes.append(byte)
        }
        bytes.append(quote)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// One write(2) per line: lines of several threads never interleave (a pipe or the
    /// journal's stream socket takes up to PIPE_BUF bytes whole).
    package static let writeToStandardError: @Sendable (String) -> Void = { line in
        var line = line
        line.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    /// As swift-log's stream handler stamps lines: local time, `2026-12-01T02:40:52+0000`.
    /// Formatted once per second: localtime_r and strftime on every line were a fifth of the
    /// logging's cost (perf).
    package static let localTimestamp: @Sendable () -> String = {
        let seconds = time(nil)
        return lastTimestamp.withLock { last in
            if last.seconds == seconds { return last.text }
            last = (seconds, formatLocalTime(seconds))
            return last.text
        }
    }

    private static let lastTimestamp = Mutex<(seconds: time_t, text: String)>((-1, ""))

    private static func formatLocalTime(_ time: time_t) -> String {
        var buffer = [CChar](repeating: 0, count: 64)
        var seconds = time
        var local = tm()
        guard localtime_r(&seconds, &local) != nil else { return "<unknown>" }
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        return String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
