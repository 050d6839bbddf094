extension PostgresPool {
    /// Runs `body`, which must issue exactly one statement, without BEGIN and COMMIT:
    /// PostgreSQL commits a lone statement by itself, so this saves two round trips and the
    /// statement's row locks are released the moment it ends instead of a round trip later.
    ///
    /// Serialization failures and deadlocks are retried as ``transaction(_:maxAttempts:_:)``
    /// retries them (nothing was committed). A connection lost meanwhile is not retried: the
    /// statement may have committed, so the error is marked `commitOutcomeUnknown`.
    public func autocommit<T: Sendable>(
        maxAttempts: Int = 8,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await withConnection(body)
            } catch var error as PostgresError {
                if error.kind == .connection {
                    error.commitOutcomeUnknown = true
                    throw error
                }
                guard error.isRetryableTransactionFailure, attempt < maxAttempts else { throw error }
                let ceiling = min(200, 2 << min(attempt, 7))
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...ceiling)))
            }
        }
    }

    /// ``autocommit(maxAttempts:_:)`` when `singleStatement`, else ``transaction(_:maxAttempts:_:)``.
    public func transaction<T: Sendable>(
        singleStatement: Bool,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        singleStatement ? try await autocommit(body) : try await transaction(.readCommitted, body)
    }
}
