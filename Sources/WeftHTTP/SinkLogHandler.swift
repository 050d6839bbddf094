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
        var entries: [(key: String, value: Logger.MetadataValue)] = []
        entries.reserveCapacity(metadata.count + (explicit?.count ?? 0) + (provided?.count ?? 0) + 2)
        if let explicit {
            for (key, value) in explicit { entries.append((key, value)) }
        }
        if let provided {
            for (key, value) in provided where explicit?[key] == nil { entries.append((key, value)) }
        }
        for (key, value) in metadata where explicit?[key] == nil && provided?[key] == nil {
            entries.append((key, value))
        }
        if let error = event.error {
            entries.removeAll { $0.key == "error.message" || $0.key == "error.type" }
            entries.append(("error.message", "\(error)"))
            entries.append(("error.type", "\(String(reflecting: type(of: error)))"))
        }
        entries.sort { $0.key < $1.key }

        var line: [UInt8] = []
        line.reserveCapacity(320)
        Self.appendTimestamp(to: &line)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: event.level.rawValue.utf8)
        if !label.isEmpty {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: label.utf8)
        }
        line.append(UInt8(ascii: ":"))
        for (key, value) in entries {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            line.append(contentsOf: value.description.utf8)
        }
        line.append(contentsOf: " [".utf8)
        line.append(contentsOf: event.source.utf8)
        line.append(contentsOf: "] ".utf8)
        line.append(contentsOf: event.message.description.utf8)
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
