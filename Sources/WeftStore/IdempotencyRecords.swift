import Foundation

/// SQL for `Idempotency-Key` records: the first response to a (tenant, key) is stored with a
/// hash of its request, in the same transaction as the order it created, and kept until it
/// expires (`expires_at`, fixed when written). An expired key is as good as unused.
public enum IdempotencyRecords {
    public struct Record: Sendable {
        public var requestHash: [UInt8]
        public var status: Int
        public var body: [UInt8]
    }

    /// Tries to take the (tenant, key) transaction lock: false while another transaction that
    /// uses the same key, in any server process, is still running.
    public static func tryLock(on connection: PostgresConnection, tenant: String, key: String) throws -> Bool {
        let digest = sha256(Array("\(tenant)\u{0}\(key)".utf8))
        let lockID = digest.prefix(8).reduce(Int64(0)) { $0 << 8 | Int64($1) }
        return try connection.query("SELECT pg_try_advisory_xact_lock($1)", lockID)[0].decode(Bool.self, 0)
    }

    /// The stored outcome for (tenant, key), if any and not expired.
    public static func find(on connection: PostgresConnection, tenant: String, key: String) throws -> Record? {
        try connection.query("""
            SELECT request_hash, response_status, response_body FROM idempotency_keys
             WHERE tenant = $1 AND key = $2 AND expires_at > now()
            """, tenant, key).first.map {
            Record(requestHash: try $0.decode(Bytes.self, 0).bytes, status: try $0.decode(Int.self, 1), body: try $0.decode(Bytes.self, 2).bytes)
        }
    }

    /// Stores the outcome, kept for `ttlSeconds`. An expired record of the same key is
    /// replaced; a live one makes this fail (the primary key) rather than duplicate.
    public static func insert(on connection: PostgresConnection, tenant: String, key: String, requestHash: [UInt8],
                              status: Int, body: [UInt8], orderID: UUID?, ttlSeconds: Int) throws {
        let written = try connection.query("""
            INSERT INTO idempotency_keys AS k (tenant, key, request_hash, response_status, response_body, order_id, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6, now(), now() + make_interval(secs => $7))
            ON CONFLICT (tenant, key) DO UPDATE
               SET request_hash = excluded.request_hash, response_status = excluded.response_status,
                   response_body = excluded.response_body, order_id = excluded.order_id,
                   created_at = excluded.created_at, expires_at = excluded.expires_at
             WHERE k.expires_at <= now()
            """, tenant, key, Bytes(requestHash), status, Bytes(body), orderID, Double(ttlSeconds)).affectedRows
        guard written == 1 else {
            throw PostgresError(.server, "idempotency key \(key) is already recorded", sqlState: PostgresError.uniqueViolation)
        }
    }

    /// Deletes expired records, at most `limit` at a time (oldest first); returns how many.
    @discardableResult
    public static func purgeExpired(on connection: PostgresConnection, limit: Int = 10_000) throws -> Int {
        try connection.query("""
            DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(
                SELECT ctid FROM idempotency_keys WHERE expires_at <= now() ORDER BY expires_at LIMIT $1))
            """, limit).affectedRows
    }
}
