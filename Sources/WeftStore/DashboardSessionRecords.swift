import Foundation

/// SQL for dashboard sign-in sessions. Rows hold the SHA-256 of the session token, never the
/// token, so reading the table does not let anyone in.
public enum DashboardSessionRecords {
    /// A live session: the admin key that opened it and when it ends.
    public struct Session: Sendable {
        public var keyID: UUID
        public var expiresAt: Date
    }

    /// Stores a new session lasting `lifetime` seconds and sweeps expired ones, so the table
    /// stays as small as the number of people signed in.
    public static func create(on connection: PostgresConnection, tokenHash: [UInt8], keyID: UUID, lifetime: Int) throws -> Date {
        try connection.query("DELETE FROM dashboard_sessions WHERE expires_at <= now()")
        return try connection.query("""
            INSERT INTO dashboard_sessions (token_hash, key_id, expires_at)
            VALUES ($1, $2, now() + make_interval(secs => $3)) RETURNING expires_at
            """, Bytes(tokenHash), keyID, lifetime)[0].decode(Date.self, 0)
    }

    /// The session for a token digest while it is unexpired and its key is still an
    /// unrevoked admin key; nil otherwise.
    public static func find(on connection: PostgresConnection, tokenHash: [UInt8]) throws -> Session? {
        try connection.query("""
            SELECT s.key_id, s.expires_at FROM dashboard_sessions s JOIN api_keys k ON k.id = s.key_id
            WHERE s.token_hash = $1 AND s.expires_at > now() AND k.revoked_at IS NULL AND k.role = 'admin'
            """, Bytes(tokenHash)).first.map { row in
            Session(keyID: try row.decode(UUID.self, 0), expiresAt: try row.decode(Date.self, 1))
        }
    }

    /// Ends a session (sign-out); unknown digests are ignored.
    public static func delete(on connection: PostgresConnection, tokenHash: [UInt8]) throws {
        try connection.query("DELETE FROM dashboard_sessions WHERE token_hash = $1", Bytes(tokenHash))
    }
}
