import WeftHTTP
import WeftStore

extension PostgresError: HTTPErrorConvertible {
    /// A database that cannot be reached is a 503 the client may retry; anything else that
    /// reaches the HTTP layer unhandled is a bug and answers 500 without leaking SQL.
    public var httpError: HTTPError {
        if isQueryCanceled {
            // statement_timeout (or a cancel): the statement was stopped and rolled back.
            return HTTPError(.serviceUnavailable,
                             detail: "The database did not answer within the time limit, so the request was stopped. Retry shortly (with the same Idempotency-Key for orders).",
                             headers: ["Retry-After": "1"])
        }
        if isUnavailable {
            return HTTPError(.serviceUnavailable,
                             detail: "The database is unavailable right now; nothing was changed. Retry shortly (with the same Idempotency-Key for orders).",
                             headers: ["Retry-After": "1"])
        }
        return HTTPError(.internalServerError, detail: "An internal error occurred; quote the request id when reporting it.")
    }
}
