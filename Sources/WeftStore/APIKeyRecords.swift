import Foundation

/// SQL for the `api_keys` aggregate.
public enum APIKeyRecords {
    /// A stored key, never with its secret.
    public struct Record: Sendable {
        public var id: UUID
        public var role: String
        public var factoryID: UUID?
        public var brokerID: UUID?
        public var label: String?
        public var prefix: String
        public var createdAt: Date
        public var revokedAt: Date?
    }

    static let columns = "id, role, factory_id, broker_id, label, prefix, created_at, revoked_at"

    static func record(_ row: PostgresRow) throws -> Record {
        Record(id: try row.decode(UUID.self, 0), role: try row.decode(String.self, 1),
               factoryID: try row.decode(UUID?.self, 2), brokerID: try row.decode(UUID?.self, 3),
               label: try row.decode(String?.self, 4), prefix: try row.decode(String.self, 5),
               createdAt: try row.decode(Date.self, 6), revokedAt: try row.decode(Date?.self, 7))
    }

    /// Stores a new key by its prefix and SHA-256 digest.
    public static func insert(on connection: PostgresConnection, role: String, factoryID: UUID?, brokerID: UUID?,
                              label: String?, prefix: String, digest: [UInt8]) throws -> Record {
        try record(connection.query("""
            INSERT INTO api_keys (role, factory_id, broker_id, label, prefix, secret_hash)
            VALUES ($1, $2, $3, $4, $5, $6) RETURNING \(columns)
            """, role, factoryID, brokerID, label, prefix, Bytes(digest))[0])
    }

    /// Up to `limit` keys (revoked ones included) in creation order, starting after `after`.
    public static func list(on connection: PostgresConnection, after: ListPosition?, limit: Int) throws -> [Record] {
        var filter = SQLFilter()
        filter.after(after)
        return try connection.query("SELECT \(columns) FROM api_keys \(filter.whereClause) ORDER BY created_at, id LIMIT \(filter.next)",
                                    binds: filter.binds + [limit]).map(record)
    }

    /// Marks the key revoked (keeping the first revocation time); every process stops accepting
    /// it once its cached copy of the row expires (WeftAPI's APIKeyCache). Nil when there is no such key.
    public static func revoke(on connection: PostgresConnection, id: UUID) throws -> Record? {
        try connection.query("""
            UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING \(columns)
            """, id).first.map(record)
    }
}
