import Logging
import NIOHTTP1

/// A fully received HTTP request, as handlers see it.
///
/// The body is read completely (bounded by ``HTTPServerConfiguration/maxBodySize``) before
/// the handler runs, so handlers never deal with streaming.
public struct Request: Sendable {
    /// The request method.
    public var method: HTTPMethod
    /// The raw request target, e.g. `/v1/orders?limit=10`.
    public var uri: String
    /// The path part of the target, not percent-decoded, e.g. `/v1/files/a%20b`.
    public var path: String
    /// The query string, parsed and percent-decoded.
    public var query: QueryParameters
    /// The request headers.
    public var headers: HTTPHeaders
    /// The complete request body.
    public var body: [UInt8]
    /// Route `{param}` values, percent-decoded; filled in by ``Router``.
    public var parameters: [String: String]
    /// The route template that matched, e.g. `/v1/orders/{id}`; set by ``Router`` before
    /// middleware runs so that metrics can label by route rather than by raw path.
    public var routeTemplate: String?
    /// The client's `X-Request-Id` if acceptable, otherwise a generated one.
    public var requestID: String
    /// A logger whose metadata carries `request_id`.
    ///
    /// Made when asked for: most requests never log through it (the access log does not), and
    /// a logger with its own metadata costs a copy of the handler and a dictionary.
    public var logger: Logger {
        get {
            guard let id = self.loggerRequestID else { return self.baseLogger }
            var logger = self.baseLogger
            logger[metadataKey: "request_id"] = "\(id)"
            return logger
        }
        set {
            self.baseLogger = newValue
            self.loggerRequestID = nil
        }
    }
    /// The logger the request was made with, and the id ``logger`` adds to it (nil once a
    /// logger has been set, which is then used as it is).
    private var baseLogger: Logger
    private var loggerRequestID: String?
    /// The peer address as `host:port`, when known.
    public var remoteAddress: String?

    /// Creates a request from its raw parts; the server uses this, and tests can too.
    ///
    /// - Parameters:
    ///   - requestID: The id to use; nil takes the client's `X-Request-Id` when it is
    ///     acceptable (see ``RequestID``) and otherwise generates one.
    /// - Throws: ``HTTPError`` 400 when the query's percent-encoding is malformed.
    public init(
        method: HTTPMethod,
        uri: String,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        requestID: String? = nil,
        logger: Logger = Logger(label: "weft.http"),
        remoteAddress: String? = nil
    ) throws(HTTPError) {
        let (path, query) = Self.split(target: uri)
        self.init(
            method: method,
            uri: uri,
            path: path,
            query: try QueryParameters(parsing: query),
            headers: headers,
            body: body,
            requestID: requestID,
            logger: logger,
            remoteAddress: remoteAddress
        )
    }

    /// Creates a request from an already split target.
    init(
        method: HTTPMethod,
        uri: String,
        path: String,
        query: QueryParameters,
        headers: HTTPHeaders,
        body: [UInt8],
        requestID: String?,
        logger: Logger,
        remoteAddress: String?
    ) {
        let id = requestID ?? RequestID.accept(headers.first(name: RequestID.headerName)) ?? RequestID.generate()
        self.method = method
        self.uri = uri
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.parameters = [:]
        self.routeTemplate = nil
        self.requestID = id
        self.baseLogger = logger
        self.loggerRequestID = id
        self.remoteAddress = remoteAddress
    }

    /// Splits a request target into path and query, accepting the absolute form
    /// (`http://host/path`) that RFC 9112 requires servers to understand.
    static func split(target: String) -> (path: String, query: Substring) {
        var rest = Substring(target)
        if let fragment = rest.firstIndex(of: "#") {
            rest = rest[..<fragment]
        }
        if !rest.hasPrefix("/"), let scheme = rest.range(of: "://") {
            let afterAuthority = rest[scheme.upperBound...]
            rest = afterAuthority.firstIndex(where: { $0 == "/" || $0 == "?" }).map { afterAuthority[$0...] } ?? "/"
            if rest.hasPrefix("?") { rest = "/" + rest }
        }
        guard let question = rest.firstIndex(of: "?") else {
            return (String(rest), "")
        }
        return (String(rest[..<question]), rest[rest.index(after: question)...])
    }
}
