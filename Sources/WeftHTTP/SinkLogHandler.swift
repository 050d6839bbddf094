#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// swift-log's stream format, written through a ``LogSink``:
/// `2026-11-22T00:57:11+0000 info weft.http: key=value … [Module] message`, metadata sorted
/// by key, the time in UTC. The line is built on the logging thread; the sink writes it.
public struct SinkLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    public var metadata = Logger.Metadata()

    private let label: String
    private let sink: LogSink

    public init(label: String, sink: LogSink = .standardError, logLevel: Logger.Level = .info,
                metadataProvider: Logger.MetadataProvider? = LoggingSystem.metadataProvider) {
        self.label = label
        self.sink = sink
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        // Explicit metadata wins over the provider's, which wins over the handler's (as in
        // swift-log's stream handler); gathered into one array and sorted, not merged into
        // another dictionary.
        let explicit = event.metadata
        let provided = metadataProvider?.get()
        var entries: [(key: String, value: String)] = []
        entries.reserveCapacity(metadata.count + (explicit?.count ?? 0) + (provided?.count ?? 0) + 2)
        if let explicit {
            for (key, value) in explicit { entries.append((key, value.description)) }
        }
        if let provided {
            for (key, value) in provided where explicit?[key] == nil { entries.append((key, value.description)) }
        }
        for (key, value) in metadata where explicit?[key] == nil && provided?[key] == nil {
            entries.append((key, value.description))
        }
        if let error = event.error {
            entries.removeAll { $0.key == "error.message" || $0.key == "error.type" }
            entries.append(("error.message", "\(error)"))
            entries.append(("error.type", "\(String(reflecting: type(of: error)))"))
        }
        entries.sort { $0.key < $1.key }
        self.write(level: event.level, entries: entries, source: event.source, message: event.message.description)
    }

    /// Logs a line whose explicit metadata is already an array sorted by key, as the access
    /// log builds it: the same line as ``log(event:)`` writes for the same fields, without
    /// building a `Logger.Metadata` dictionary and sorting it again. The provider's and the
    /// handler's metadata are added (and the whole sorted) only when they have keys of their own.
    func log(level: Logger.Level, message: String, sortedMetadata explicit: [(key: String, value: String)], source: String) {
        guard level >= logLevel else { return }
        var entries = explicit
        var sorted = true
        if let provided = metadataProvider?.get() {
            for (key, value) in provided where !explicit.contains(where: { $0.key == key }) {
                entries.append((key, value.description))
                sorted = false
            }
        }
        for (key, value) in metadata where !entries.contains(where: { $0.key == key }) {
            entries.append((key, value.description))
            sorted = false
        }
        if !sorted { entries.sort { $0.key < $1.key } }
        self.write(level: level, entries: entries, source: source, message: message)
    }

    /// Formats the line and hands it to the sink.
    private func write(level: Logger.Level, entries: [(key: String, value: String)], source: String, message: String) {
        var line: [UInt8] = []
        line.reserveCapacity(320)
        Self.appendTimestamp(to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: level.rawValue.utf8)
        if !label.isEmpty {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: label.utf8)
        }
        line.append(UInt8(ascii: ":"))
        for (key, value) in entries {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.utf8)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: message.utf8)
        line.append(UInt8(ascii: "\n"))
        sink.enqueue(line)
    }

    /// `YYYY-MM-DDTHH:MM:SS+0000` from the coarse real-time clock, without `localtime`'s
    /// lock and time-zone file check, written digit by digit.
    static func appendTimestamp(to line: inout [UInt8]) {
        var now = timespec()
        #if os(Linux)
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        #else
        clock_gettime(CLOCK_REALTIME, &now)
        #endif
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func digits(_ value: Int32, _ count: Int) {
            var divisor: Int32 = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                line.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: (rest / divisor) % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(parts.tm_year + 1900, 4)
        line.append(UInt8(ascii: "-"))
        digits(parts.tm_mon + 1, 2)
        line.append(UInt8(ascii: "-"))
        digits(parts.tm_mday, 2)
        line.append(UInt8(ascii: "T"))
        digits(parts.tm_hour, 2)
        line.append(UInt8(ascii: ":"))
        digits(parts.tm_min, 2)
        line.append(UInt8(ascii: ":"))
        digits(parts.tm_sec, 2)
        line.append(contentsOf: "+0000".utf8)
    }
}
