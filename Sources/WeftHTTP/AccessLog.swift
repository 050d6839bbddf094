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
        let milliseconds = Double(elapsed.nanoseconds) / 1_000_000
        let latency = String((milliseconds * 100).rounded() / 100)
        let status = String(entry.status.code)
        var metadata = Logger.Metadata(minimumCapacity: 9 + entry.extra.count)
        metadata["http.method"] = .string(entry.method)
        metadata["http.path"] = .string(entry.path)
        metadata["http.route"] = .string(entry.route ?? "-")
        metadata["http.status"] = .string(status)
        metadata["latency_ms"] = .string(latency)
        metadata["request_id"] = .string(entry.requestID)
        metadata["bytes_in"] = .string(String(entry.bytesIn))
        metadata["bytes_out"] = .string(String(entry.bytesOut))
        metadata["remote"] = .string(entry.remoteAddress ?? "-")
        for (key, value) in entry.extra where metadata[key] == nil {
            metadata[key] = .string(value)
        }
        logger.info("\(entry.method) \(entry.path) \(status) \(latency)ms", metadata: metadata)
    }

    /// `host:port`, with IPv6 hosts bracketed.
    static func format(_ address: SocketAddress?) -> String? {
        guard let address else { return nil }
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
