/// An error from the database layer, with PostgreSQL's SQLSTATE where the server sent one.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// Where the error came from.
    public enum Kind: Sendable, Equatable {
        /// The connection could not be made or broke during a call.
        case connection
        /// The server refused the statement (constraint, syntax, serialization, ...).
        case server
        /// A column could not be decoded into the requested Swift type.
        case decoding
        /// No connection became free within the pool's wait limit.
        case poolTimeout
        /// The pool was shut down.
        case poolClosed
    }

    public var kind: Kind
    public var message: String
    /// The five-character SQLSTATE, e.g. `23505` for a unique violation.
    public var sqlState: String?
    public var detail: String?
    /// The violated constraint's name, when the server reports one.
    public var constraint: String?
    /// Set when the connection was lost while COMMIT was in flight: it may or may not have committed.
    public var commitOutcomeUnknown = false

    public init(_ kind: Kind, _ message: String, sqlState: String? = nil, detail: String? = nil, constraint: String? = nil) {
        self.kind = kind
        self.message = message
        self.sqlState = sqlState
        self.detail = detail
        self.constraint = constraint
    }

    public var description: String {
        var text = "postgres \(kind): \(message)"
        if let sqlState { text += " [\(sqlState)]" }
        if let detail { text += " (\(detail))" }
        return text
    }

    /// A serialization failure or deadlock: the whole transaction may simply be run again.
    public var isRetryableTransactionFailure: Bool { sqlState == "40001" || sqlState == "40P01" }

    /// True when the database could not be reached or the connection was lost, or no
    /// connection could be had: the request may succeed later, so callers answer 503.
    public var isUnavailable: Bool {
        switch kind {
        case .connection, .poolTimeout, .poolClosed: return true
        case .server:
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 08xxx connection exceptions.
            guard let sqlState else { return false }
            return sqlState.hasPrefix("08") || sqlState.hasPrefix("57P")
        case .decoding: return false
        }
    }

    /// A statement cancelled: by `statement_timeout`, or by a cancel request (the caller went away).
    public var isQueryCanceled: Bool { sqlState == Self.queryCanceled }

    public static let queryCanceled = "57014"
    public static let uniqueViolation = "23505"
    public static let checkViolation = "23514"
    public static let foreignKeyViolation = "23503"
}
