import Logging

/// A `LogHandler` that writes one line per event to standard error, in the form journald expects
/// from a service's output: `<6>message logger=router key=value key2="quoted value"`.
///
/// With `SyslogLevelPrefix=` on (systemd's default), journald strips the `<P>` prefix and stores it as
/// the entry's priority, so `journalctl -p warning` works without libsystemd. Every event is exactly
/// one line, because journald starts a new entry at each newline: newlines inside messages and values
/// are escaped. Metadata comes sorted by key so lines are stable and easy to grep.
public struct JournalLogHandler: LogHandler {
    /// Events below this level are dropped by `Logger` before they reach the handler.
    public var logLevel: Logger.Level
    /// Fields written with every event of this logger (events' own metadata wins on conflicts).
    public var metadata: Logger.Metadata = [:]
    /// Contextual fields (e.g. from task-locals), between handler and event metadata in precedence.
    public var metadataProvider: Logger.MetadataProvider?
    /// The logger's label, written as `logger=label`.
    public let label: String
    private let writer: JournalWriter

    /// - Parameters:
    ///   - writer: where lines go; all handlers writing to one descriptor must share one writer so
    ///     their lines cannot interleave.
    public init(
        label: String,
        level: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil,
        writer: JournalWriter = .standardError
    ) {
        self.label = label
        self.logLevel = level
        self.metadataProvider = metadataProvider
        self.writer = writer
    }

    /// Makes every `Logger` of the process use this handler at `level`.
    ///
    /// Call it once, first thing in a daemon's `main` (swift-log allows one bootstrap per process);
    /// libraries and tests never call it.
    public static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap(
            { label, provider in
                JournalLogHandler(label: label, level: level, metadataProvider: provider)
            },
            metadataProvider: nil
        )
    }

    /// One field of ``metadata``.
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Formats the event (adding `error=` when an error is attached) and writes it as one line.
    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() {
            merged.merge(provided) { _, new in new }
        }
        if let eventMetadata = event.metadata {
            merged.merge(eventMetadata) { _, new in new }
        }
        if let error = event.error, merged["error"] == nil {
            merged["error"] = "\(error)"
        }
        writer.write(line: JournalLineFormat.line(level: event.level, message: event.message.description, label: label, metadata: merged))
    }
}
