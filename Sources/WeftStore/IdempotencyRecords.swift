import Foundation

/// SQL for `Idempotency-Key` records: the first response to a (tenant, key) is stored with a
/// hash of its request, in the same transaction as the order it created.
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

    /// The stored outcome for (tenant, key), if any.
    public static func find(on connection: PostgresConnection, tenant: String, key: String) throws -> Record? {
        try connection.query("""
            SELECT request_hash, response_status, response_body FROM idempotency_keys
             WHERE tenant = $1 AND key = $2 AND state = 'done'
            """, tenant, key).first.map {
            Record(requestHash: try $0.decode(Bytes.self, 0).bytes, status: try $0.decode(Int.self, 1), body: try $0.decode(Bytes.self, 2).bytes)
        }
    }

    /// Stores the outcome; the primary key makes a second writer fail rather than duplicate.
    public static func insert(on connection: PostgresConnection, tenant: String, key: String, requestHash: [UInt8],
                              status: Int, body: [UInt8], orderID: UUID?) throws {
        try connection.query("""
            INSERT INTO idempotency_keys (tenant, key, request_hash, state, response_status, response_body, order_id)
            VALUES ($1, $2, $3, 'done', $4, $5, $6)
            """, tenant, key, Bytes(requestHash), status, Bytes(body), orderID)
    }
}
