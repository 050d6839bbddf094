import Foundation
import Logging
import NIOHTTP1

/// The RFC 9457 problem document, as sent on the wire.
struct ProblemDocument: Codable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String
    var errors: [FieldError]?
    var requestId: String?
}

extension Response {
    /// The media type of problem documents.
    public static let problemContentType = "application/problem+json"

    /// An `application/problem+json` response for `error`:
    /// `{"type","title","status","detail","errors"?,"request_id"}`, plus the error's headers.
    public static func problem(_ error: HTTPError, requestID: String?) -> Response {
        let document = ProblemDocument(
            type: error.type,
            title: error.title,
            status: Int(error.status.code),
            detail: error.detail,
            errors: error.errors.isEmpty ? nil : error.errors,
            requestId: requestID
        )
        var headers = error.headers
        headers.replaceOrAdd(name: "Content-Type", value: problemContentType)
        return Response(status: error.status, headers: headers, body: document.json)
    }

    /// The response for an error thrown while handling `request`.
    ///
    /// ``HTTPError`` and ``HTTPErrorConvertible`` become their problem. Anything else is a
    /// bug or an outage: it is logged at error level with the error, and the client gets a
    /// 500 whose detail gives only the request id, because error text can leak internals.
    public static func problem(for error: any Error, request: Request) -> Response {
        if let convertible = error as? any HTTPErrorConvertible {
            let mapped = convertible.httpError
            if mapped.status.code >= 500, !(error is HTTPError) {
                // Another layer's error that maps to a 5xx (a database fault, say): the client
                // sees a clean problem, the operator still needs the cause.
                request.logger.log(
                    level: mapped.status == .serviceUnavailable ? .warning : .error,
                    "error answered with \(mapped.status.code)",
                    metadata: ["error": "\(String(reflecting: error))", "http.path": "\(request.path)"]
                )
            }
            return problem(mapped, requestID: request.requestID)
        }
        if error is CancellationError {
            // Only happens when the server is torn down without a graceful shutdown.
            request.logger.debug("handler cancelled", metadata: ["http.path": "\(request.path)"])
            return problem(
                HTTPError(.serviceUnavailable, detail: "The server is shutting down; retry the request."),
                requestID: request.requestID
            )
        }
        request.logger.error(
            "unhandled error in handler",
            metadata: [
                "error": "\(String(reflecting: error))",
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(request.path)",
            ]
        )
        return problem(
            HTTPError(
                .internalServerError,
                detail: "internal error; quote request id \(request.requestID) when reporting it."
            ),
            requestID: request.requestID
        )
    }
}
