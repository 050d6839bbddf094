import NIOHTTP1

/// One problem with one input field, reported in a problem document's `errors` array.
public struct FieldError: Codable, Sendable, Equatable {
    /// The field's path as the client spelled it, e.g. `"capabilities[0].setup_cost"`.
    public var field: String
    /// What is wrong, phrased so a person can fix it.
    public var message: String

    /// Creates a field error.
    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}

/// An error that becomes an RFC 9457 `application/problem+json` response.
///
/// Throw it from a handler or middleware; the router and server render it with
/// ``Response/problem(_:requestID:)``.
public struct HTTPError: Error, Sendable {
    /// The problem type used for input validation failures.
    public static let validationType = "https://weft.dev/problems/validation"

    /// The response status.
    public var status: HTTPResponseStatus
    /// A URI identifying the kind of problem; `"about:blank"` when the status says it all.
    public var type: String
    /// A short summary of the kind of problem; defaults to the status reason phrase.
    public var title: String
    /// What went wrong with this request, phrased so a person can act on it.
    public var detail: String
    /// Per-field problems, for validation failures.
    public var errors: [FieldError]
    /// Extra headers for the response, e.g. `Allow` or `Retry-After`.
    public var headers: HTTPHeaders

    /// Creates an error; `title` defaults to the status reason phrase and `type` to `"about:blank"`.
    public init(
        _ status: HTTPResponseStatus,
        detail: String,
        title: String? = nil,
        type: String? = nil,
        errors: [FieldError] = [],
        headers: HTTPHeaders = [:]
    ) {
        self.status = status
        self.type = type ?? "about:blank"
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }
}

extension HTTPError: CustomStringConvertible {
    /// `"<code> <title>: <detail>"`, for logs.
    public var description: String {
        "\(self.status.code) \(self.title): \(self.detail)"
    }
}

/// An error from another layer that knows which HTTP problem it is.
///
/// The store or domain layer conforms its errors to this so that handlers can simply
/// rethrow them; anything that does not conform becomes a 500.
public protocol HTTPErrorConvertible: Error {
    /// The problem to send for this error.
    var httpError: HTTPError { get }
}

extension HTTPError: HTTPErrorConvertible {
    /// The error itself.
    public var httpError: HTTPError { self }
}
