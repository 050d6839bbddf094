import Foundation
import NIOHTTP1

/// A complete HTTP response.
///
/// The server adds `Content-Length`, `X-Request-Id` and, when the connection is ending,
/// `Connection: close`; handlers set everything else.
public struct Response: Sendable {
    /// The status.
    public var status: HTTPResponseStatus
    /// The headers.
    public var headers: HTTPHeaders
    /// The complete body.
    public var body: [UInt8]
    /// The route template that produced this response, e.g. `/v1/orders/{id}`; set by
    /// ``Router`` for access logs and metrics. Nil for unrouted requests (404, 405).
    public var routeTemplate: String?
    /// Extra fields for this request's access-log line (e.g. who called), set by
    /// middleware that knows things this module does not; never sent to the client.
    public var logMetadata: [String: String]

    /// Creates a response.
    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.routeTemplate = nil
        self.logMetadata = [:]
    }

    /// A JSON response encoded with ``JSON/encoder``, as `application/json; charset=utf-8`.
    public static func json<T: Encodable>(_ value: T, status: HTTPResponseStatus = .ok) throws -> Response {
        let data = try JSON.encoder.encode(value)
        return Response(
            status: status,
            headers: ["Content-Type": "application/json; charset=utf-8"],
            body: Array(data)
        )
    }

    /// A text response, `text/plain; charset=utf-8` unless told otherwise (e.g. CSV, YAML, HTML).
    public static func text(
        _ string: String,
        status: HTTPResponseStatus = .ok,
        contentType: String = "text/plain; charset=utf-8"
    ) -> Response {
        Response(status: status, headers: ["Content-Type": contentType], body: Array(string.utf8))
    }
}
