import WeftStore

/// The database time limits of `weft serve`, from the environment (docs/operations.md).
/// 0 turns a limit off; anything that is not a whole number in range stops start-up.
struct DatabaseLimits {
    /// `statement_timeout` of request statements (`WEFT_DB_STATEMENT_TIMEOUT_MS`).
    var requestStatementMs = 15_000
    /// `statement_timeout` of schedule runs and reports (`WEFT_DB_LONG_STATEMENT_TIMEOUT_MS`).
    var longStatementMs = 300_000
    /// Connections are closed once this old (`WEFT_DB_MAX_CONNECTION_AGE_SECONDS`).
    var maxConnectionAgeSeconds = 1_800
    /// Idle connections are closed after this long unused (`WEFT_DB_MAX_IDLE_SECONDS`).
    var maxIdleSeconds = 300

    static func fromEnvironment() throws -> DatabaseLimits {
        var limits = DatabaseLimits()
        let day = 86_400
        if let value = try Environment.int("WEFT_DB_STATEMENT_TIMEOUT_MS", in: 0...(day * 1000), unit: " of milliseconds") {
            limits.requestStatementMs = value
        }
        if let value = try Environment.int("WEFT_DB_LONG_STATEMENT_TIMEOUT_MS", in: 0...(day * 1000), unit: " of milliseconds") {
            limits.longStatementMs = value
        }
        if let value = try Environment.int("WEFT_DB_MAX_CONNECTION_AGE_SECONDS", in: 0...(7 * day), unit: " of seconds") {
            limits.maxConnectionAgeSeconds = value
        }
        if let value = try Environment.int("WEFT_DB_MAX_IDLE_SECONDS", in: 0...(7 * day), unit: " of seconds") {
            limits.maxIdleSeconds = value
        }
        return limits
    }

    func apply(to configuration: PostgresConfiguration) -> PostgresConfiguration {
        var configuration = configuration
        func positive(_ value: Int, _ unit: (Int) -> Duration) -> Duration? { value > 0 ? unit(value) : nil }
        configuration.requestStatementTimeout = positive(requestStatementMs, Duration.milliseconds)
        configuration.longStatementTimeout = positive(longStatementMs, Duration.milliseconds)
        configuration.maxConnectionAge = positive(maxConnectionAgeSeconds, Duration.seconds)
        configuration.maxIdleTime = positive(maxIdleSeconds, Duration.seconds)
        return configuration
    }
}
