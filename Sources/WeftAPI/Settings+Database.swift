import WeftStore

extension Settings {
    /// A pool configuration for `url` with these settings' statement time limits and
    /// connection lifetimes.
    public func postgres(_ url: String, maxConnections: Int) -> PostgresConfiguration {
        PostgresConfiguration(connectionString: url, maxConnections: maxConnections,
                              requestStatementTimeout: requestStatementTimeout, longStatementTimeout: longStatementTimeout,
                              maxConnectionAge: maxConnectionAge, maxIdleTime: maxIdleTime)
    }
}
