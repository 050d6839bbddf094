import CLibPQ
import Foundation
import Synchronization

/// One libpq connection. Every method blocks the calling thread, so connections are only
/// used inside `PostgresPool.withConnection`/`transaction`, which run them on the pool's
/// blocking threads, never on an event loop or the cooperative pool.
public final class PostgresConnection: @unchecked Sendable {
    // Not thread-safe by itself; the pool hands a connection to one caller at a time.
    let handle: OpaquePointer
    /// Statements prepared on this connection, by SQL text and parameter types: the server
    /// parses and plans each once per connection instead of on every call (planning the
    /// placement query cost more than running it).
    private var prepared: [PreparedKey: String] = [:]
    private static let maxPrepared = 512

    private struct PreparedKey: Hashable {
        var sql: String
        var types: [UInt32]
    }

    /// What `PQcancel` needs to ask the server to stop this connection's running statement;
    /// usable from any thread.
    private let cancelHandle: OpaquePointer?
    /// Set by `cancel()`: statements not yet started fail at once instead of running.
    private let cancelRequested = Atomic<Bool>(false)
    /// The `statement_timeout` this session has, in milliseconds (0: none), once set by us.
    private var statementTimeoutMs: Int?

    private init(handle: OpaquePointer) {
        self.handle = handle
        self.cancelHandle = PQgetCancel(handle)
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(handle)
    }

    /// Asks the server to stop the statement running on this connection now (`PQcancel`), and
    /// makes every later `query` on it fail until `resetCancel()`. Callable from any thread,
    /// while another thread waits on the connection; the interrupted statement fails with
    /// SQLSTATE 57014. `PQcancel` opens a connection of its own to the server: it blocks for
    /// a moment, so not on an event loop or a cooperative thread.
    public func cancel() {
        markCancelled()
        sendCancel()
    }

    /// Makes every later `query` fail at once (SQLSTATE 57014) until `resetCancel()`.
    func markCancelled() { cancelRequested.store(true, ordering: .sequentiallyConsistent) }

    /// Sends the server a cancel request for the statement running now (`PQcancel`; blocks).
    func sendCancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    /// Lets statements run again after a cancel (the pool calls it for each new lease).
    func resetCancel() { cancelRequested.store(false, ordering: .sequentiallyConsistent) }

    /// Fails at once, as the server would, once the caller went away (`markCancelled()`).
    func throwIfCancelled() throws {
        if cancelRequested.load(ordering: .sequentiallyConsistent) {
            throw PostgresError(.server, "canceling statement due to user request", sqlState: PostgresError.queryCanceled)
        }
    }

    /// Sets the session's `statement_timeout` (nil or zero: none) unless it already has it, so
    /// the usual case costs no round trip. Applies to the statements that follow.
    func setStatementTimeout(milliseconds: Int?) throws {
        let wanted = max(0, milliseconds ?? 0)
        guard statementTimeoutMs != wanted else { return }
        try execute("SET statement_timeout = \(wanted)")
        statementTimeoutMs = wanted
    }

    /// Opens a connection from a libpq connection string or URI (`sslmode` and every other
    /// libpq keyword included) and puts the session in UTC with ISO dates, which the value
    /// decoders rely on.
    public static func connect(_ connectionString: String, connectTimeoutSeconds: Int = 5) throws -> PostgresConnection {
        // connect_timeout comes first so that one given in the string overrides it.
        let keywords = ["connect_timeout", "dbname"]
        let values = [String(connectTimeoutSeconds), connectionString]
        let cKeywords = keywords.map { strdup($0) } + [nil]
        let cValues = values.map { strdup($0) } + [nil]
        defer { (cKeywords + cValues).forEach { free($0) } }
        let raw = cKeywords.map { UnsafePointer($0) }.withUnsafeBufferPointer { keywordBuffer in
            cValues.map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
                PQconnectdbParams(keywordBuffer.baseAddress, valueBuffer.baseAddress, 1)
            }
        }
        guard let raw else { throw PostgresError(.connection, "out of memory opening a connection") }
        let connection = PostgresConnection(handle: raw)
        guard PQstatus(raw) == CONNECTION_OK else {
            throw PostgresError(.connection, connection.lastErrorMessage)
        }
        // Silence NOTICEs ("relation already exists, skipping") that libpq would print to stderr.
        PQsetNoticeProcessor(raw, { _, _ in }, nil)
        try connection.execute("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'")
        return connection
    }

    /// Set when libpq reported a failure of its own rather than an error from the server (no
    /// SQLSTATE): typically the server went away mid-query. libpq may still report
    /// CONNECTION_OK until it reads the end of the stream, so this is what condemns the connection.
    private var lost = false

    /// True once the connection is unusable; the pool then replaces it.
    public var isBroken: Bool { lost || PQstatus(handle) != CONNECTION_OK }

    /// True when no transaction is open and no command is in progress.
    public var isIdle: Bool { PQtransactionStatus(handle) == PQTRANS_IDLE }

    /// The server process id, useful for tests that terminate a backend.
    public var backendPID: Int32 { PQbackendPID(handle) }

    var lastErrorMessage: String {
        String(cString: PQerrorMessage(handle)).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs one parameterised statement. Parameters travel separately from the SQL text,
    /// with their type OIDs, so no value is ever spliced into SQL.
    @discardableResult
    public func query(_ sql: String, _ binds: any PostgresEncodable...) throws -> PostgresResult {
        try query(sql, binds: binds)
    }

    /// Runs one parameterised statement with an array of parameters.
    @discardableResult
    public func query(_ sql: String, binds: [any PostgresEncodable]) throws -> PostgresResult {
        try throwIfCancelled()
        let types = binds.map { type(of: $0).postgresType }
        let texts: [UnsafeMutablePointer<CChar>?] = binds.map { bind in bind.postgresText.map { strdup($0) } ?? nil }
        defer { texts.forEach { free($0) } }
        let name = try preparedName(sql, types: types)
        let raw = texts.map { UnsafePointer($0) }.withUnsafeBufferPointer { valueBuffer in
            if let name {
                return PQexecPrepared(handle, name, Int32(binds.count), valueBuffer.baseAddress, nil, nil, 0)
            }
            return types.withUnsafeBufferPointer { typeBuffer in
                PQexecParams(handle, sql, Int32(binds.count), typeBuffer.baseAddress, valueBuffer.baseAddress, nil, nil, 0)
            }
        }
        return try check(raw)
    }

    /// The name `sql` with these parameter types is prepared under on this connection,
    /// preparing it now if it is new; nil once the connection holds ``maxPrepared`` statements.
    func preparedName(_ sql: String, types: [UInt32]) throws -> String? {
        let key = PreparedKey(sql: sql, types: types)
        if let name = prepared[key] { return name }
        guard prepared.count < Self.maxPrepared else { return nil }
        let candidate = "weft_\(prepared.count + 1)"
        let result = types.withUnsafeBufferPointer { PQprepare(handle, candidate, sql, Int32(types.count), $0.baseAddress) }
        _ = try check(result)
        prepared[key] = candidate
        return candidate
    }

    /// Marks the connection unusable (the pool replaces it).
    func markLost() { lost = true }

    /// Runs SQL text with no parameters through the simple protocol, which allows several
    /// statements in one string. Only for trusted SQL (migrations, BEGIN/COMMIT).
    @discardableResult
    public func execute(_ sql: String) throws -> PostgresResult {
        try check(PQexec(handle, sql))
    }

    func check(_ raw: OpaquePointer?) throws -> PostgresResult {
        guard let raw else {
            // No result at all: out of memory or no usable connection; either way start afresh.
            lost = true
            throw PostgresError(.connection, lastErrorMessage)
        }
        let result = PostgresResult(handle: raw)
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY:
            return result
        default:
            func field(_ code: Character) -> String? {
                guard let value = PQresultErrorField(raw, Int32(code.asciiValue!)) else { return nil }
                return String(cString: value)
            }
            let sqlState = field("C")
            let message = field("M") ?? lastErrorMessage
            // Errors the server sends carry a SQLSTATE; libpq's own ("server closed the
            // connection unexpectedly" after an immediate shutdown or crash) do not.
            if sqlState == nil { lost = true }
            let kind: PostgresError.Kind = (isBroken && (sqlState == nil || sqlState!.hasPrefix("08") || sqlState!.hasPrefix("57P"))) ? .connection : .server
            throw PostgresError(kind, message, sqlState: sqlState, detail: field("D"), constraint: field("n"))
        }
    }
}
