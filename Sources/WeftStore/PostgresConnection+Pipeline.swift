import CLibPQ
import Foundation

extension PostgresConnection {
    /// One statement of a ``pipeline(_:)``.
    public struct Statement: Sendable {
        public var sql: String
        public var binds: [any PostgresEncodable]

        public init(_ sql: String, _ binds: any PostgresEncodable...) {
            self.init(sql, binds: binds)
        }

        public init(_ sql: String, binds: [any PostgresEncodable]) {
            self.sql = sql
            self.binds = binds
        }
    }

    /// Runs independent statements in one round trip (libpq's pipeline mode): all are sent,
    /// then all results read. Between them there is one implicit transaction, as for a
    /// multi-statement query: if one fails, those after it do not run, and the first error
    /// is thrown. For reads whose statements do not depend on each other's results.
    public func pipeline(_ statements: [Statement]) throws -> [PostgresResult] {
        try throwIfCancelled()
        // Statements are prepared (once per connection) before the pipeline: preparing is
        // synchronous, which pipeline mode does not allow.
        let typed = statements.map { statement in (statement, statement.binds.map { type(of: $0).postgresType }) }
        let names = try typed.map { try preparedName($0.0.sql, types: $0.1) }
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError(.server, "cannot enter pipeline mode: \(lastErrorMessage)")
        }
        var sent = 0
        for ((statement, types), name) in zip(typed, names) {
            let texts: [UnsafeMutablePointer<CChar>?] = statement.binds.map { bind in bind.postgresText.map { strdup($0) } ?? nil }
            defer { texts.forEach { free($0) } }
            let ok = texts.map { UnsafePointer($0) }.withUnsafeBufferPointer { values in
                if let name {
                    return PQsendQueryPrepared(handle, name, Int32(texts.count), values.baseAddress, nil, nil, 0)
                }
                return types.withUnsafeBufferPointer {
                    PQsendQueryParams(handle, statement.sql, Int32(texts.count), $0.baseAddress, values.baseAddress, nil, nil, 0)
                }
            }
            guard ok == 1 else { break }
            sent += 1
        }
        guard PQpipelineSync(handle) == 1 else {
            markLost()
            throw PostgresError(.connection, lastErrorMessage)
        }
        var results: [PostgresResult] = []
        var failure: (any Error)?
        for _ in 0..<sent {
            guard let raw = PQgetResult(handle) else {
                markLost()
                throw PostgresError(.connection, lastErrorMessage)
            }
            if PQresultStatus(raw) == PGRES_PIPELINE_ABORTED {
                PQclear(raw)  // skipped after an earlier failure, which is the error to report
            } else {
                do { results.append(try check(raw)) } catch { failure = failure ?? error }
            }
            // Each statement's results end with a null result.
            while let extra = PQgetResult(handle) { PQclear(extra) }
        }
        // The sync point's own result, then back to normal mode.
        if let sync = PQgetResult(handle) { PQclear(sync) }
        guard PQexitPipelineMode(handle) == 1 else {
            markLost()
            throw PostgresError(.connection, "cannot leave pipeline mode: \(lastErrorMessage)")
        }
        if let failure { throw failure }
        guard sent == statements.count else { throw PostgresError(.server, "could not send a statement: \(lastErrorMessage)") }
        return results
    }
}
