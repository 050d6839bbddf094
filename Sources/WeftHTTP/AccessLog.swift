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
        let elapsed = NIODeadline.now() - entry.startedAt
        let milliseconds = Double(elapsed.nanoseconds) / 1_000_000
        let latency = (milliseconds * 100).rounded() / 100
        var metadata: Logger.Metadata = [
            "http.method": "\(entry.method)",
            "http.path": "\(entry.path)",
            "http.route": "\(entry.route ?? "-")",
            "http.status": "\(entry.status.code)",
            "latency_ms": "\(latency)",
            "request_id": "\(entry.requestID)",
            "bytes_in": "\(entry.bytesIn)",
            "bytes_out": "\(entry.bytesOut)",
            "remote": "\(entry.remoteAddress ?? "-")",
        ]
        for (key, value) in entry.extra where metadata[key] == nil {
            metadata[key] = "\(value)"
        }
        logger.info("\(entry.method) \(entry.path) \(entry.status.code) \(latency)ms", metadata: metadata)
    }

    /// `host:port`, with IPv6 hosts bracketed.
    static func format(_ address: SocketAddress?) -> String? {
        guard let address else { return nil }
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
