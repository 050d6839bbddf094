import Logging
import NIOCore
import NIOHTTP1

/// One `.info` line per answered request, whoever answered it (handler, router or the
/// connection handler's own 4xx).
enum AccessLog {
    struct Entry {
        var method: String
        var path: String
        var route: String?
        var status: HTTPResponseStatus
        var startedAt: NIODeadline
        var requestID: String
        var bytesIn: Int
        var bytesOut: Int
        var remoteAddress: String?
        /// From ``Response/logMetadata``; cannot override the fields above.
        var extra: [String: String] = [:]
    }

    static func record(_ entry: Entry, logger: Logger) {
        // Nothing to build when the level hides the line (e.g. WEFT_LOG_LEVEL=warning).
        guard logger.logLevel <= .info else { return }
        let elapsed = NIODeadline.now() - entry.startedAt
        let latency = Self.milliseconds(elapsed.nanoseconds)
        let status = String(entry.status.code)
        // Sorted by key, the order lines print metadata in; no dictionary to build and sort.
        var fields: [(key: String, value: String)] = [
            ("bytes_in", String(entry.bytesIn)),
            ("bytes_out", String(entry.bytesOut)),
            ("http.method", entry.method),
            ("http.path", entry.path),
            ("http.route", entry.route ?? "-"),
            ("http.status", status),
            ("latency_ms", latency),
            ("remote", entry.remoteAddress ?? "-"),
            ("request_id", entry.requestID),
        ]
        if !entry.extra.isEmpty {
            let fixed = fields.count
            for (key, value) in entry.extra where !fields[..<fixed].contains(where: { $0.key == key }) {
                fields.append((key, value))
            }
            fields.sort { $0.key < $1.key }
        }
        let message = "\(entry.method) \(entry.path) \(status) \(latency)ms"
        if let handler = logger.handler as? SinkLogHandler {
            // weft's own handler: straight to the line, the same line as below.
            handler.log(level: .info, message: message, sortedMetadata: fields, source: "WeftHTTP")
            return
        }
        var metadata = Logger.Metadata(minimumCapacity: fields.count)
        for (key, value) in fields {
            metadata[key] = .string(value)
        }
        logger.info("\(message)", metadata: metadata)
    }

    /// Milliseconds with at most two decimals, as `String(Double)` prints `(ms * 100).rounded() / 100`
    /// (`0.05`, `1.5`, `12.0`), written with integers.
    static func milliseconds(_ nanoseconds: Int64) -> String {
        let hundredths = Int64((Double(nanoseconds) / 1_000_000 * 100).rounded())
        guard hundredths >= 0 else { return String((Double(hundredths) / 100)) }
        let whole = hundredths / 100, fraction = hundredths % 100
        if fraction == 0 { return "\(whole).0" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return fraction < 10 ? "\(whole).0\(fraction)" : "\(whole).\(fraction)"
    }

    /// `host:port`, with IPv6 hosts bracketed.
    static func format(_ address: SocketAddress?) -> String? {
        guard let address else { return nil }
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
