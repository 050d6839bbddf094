import Foundation

/// Transaction isolation levels.
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

extension PostgresPool {
    /// Runs `body` inside one transaction and commits it.
    ///
    /// The whole transaction is run again, on a fresh connection where needed, when the
    /// server reports a serialization failure (40001) or deadlock (40P01), or when the
    /// connection broke before COMMIT was sent: in all those cases nothing was committed.
    /// `body` must therefore have no effects outside the database. A connection lost during
    /// COMMIT itself is not retried, since the outcome is unknown; callers make such writes
    /// idempotent (see Idempotency-Key).
    public func transaction<T: Sendable>(
        _ isolation: IsolationLevel = .readCommitted,
        maxAttempts: Int = 8,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withConnection { connection in
                    try connection.execute("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
                    let value: T
                    do {
                        value = try body(connection)
                    } catch {
                        if !connection.isBroken { _ = try? connection.execute("ROLLBACK") }
                        throw error
                    }
                    do {
                        try connection.execute("COMMIT")
                    } catch var error as PostgresError {
                        if error.kind == .connection { error.commitOutcomeUnknown = true }
                        throw error
                    }
                    return value
                }
            } catch let error as PostgresError where error.mayRetryTransaction
                && attempt < (error.kind == .connection ? 2 : maxAttempts) {
                // A lost connection is retried once only: if the database is down, the caller
                // should hear so quickly rather than wait out many connect attempts.
                logger.debug("retrying transaction", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                try await Self.backOff(after: attempt)
            }
        }
    }

    /// Waits before attempt `attempt + 1` of a transaction or autocommitted statement: a
    /// jittered exponential back-off (up to 200 ms) so that colliding writers drift apart.
    static func backOff(after attempt: Int) async throws {
        let ceiling = min(200, 2 << min(attempt, 7))
        try await Task.sleep(for: .milliseconds(Int.random(in: 1...ceiling)))
    }
}

extension PostgresError {
    /// Nothing was committed and running the transaction again may succeed.
    var mayRetryTransaction: Bool {
        if isRetryableTransactionFailure { return true }
        return kind == .connection && !commitOutcomeUnknown
    }
}
