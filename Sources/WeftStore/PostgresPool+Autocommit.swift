extension PostgresPool {
    /// Runs `body` without BEGIN and COMMIT: PostgreSQL commits each statement by itself, so
    /// this saves two round trips and a statement's row locks are released the moment it ends
    /// instead of a round trip later. Its one write must be its first statement; anything
    /// after it may only read, and sees the write already committed: if such a read fails,
    /// the caller's error reports a write that did happen (a client that must know retries
    /// with an Idempotency-Key). Statements sent together in one
    /// ``PostgresConnection/pipeline(_:)`` are one implicit transaction, so a pipeline of a write
    /// and reads commits or fails whole (the pooled booking reads its batch partners this way).
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
                try await Self.backOff(after: attempt)
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
