import Foundation

/// Runs waiting for their capabilities: a `queued` row holds no lock; any server process
/// starts it once no other run holds its capabilities (`RunCoordinator`'s queue watcher).
extension RunRecords {
    /// Stores a run that waits for busy capabilities (status `queued`, not started).
    public static func insertQueued(on connection: PostgresConnection, _ new: NewRun) throws -> Run {
        try run(connection.query("""
            INSERT INTO schedule_runs (id, status, capabilities, dry_run, time_limit_ms, seed, as_of, owner, requested_by)
            VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8)
            RETURNING \(columns(diff: true))
            """, new.id, new.capabilities, new.dryRun, new.timeLimitMs, new.seed, new.asOf, new.owner, new.requestedBy)[0])
    }

    /// Queued runs, oldest first (the order they start in).
    public static func queued(on connection: PostgresConnection, limit: Int = 100) throws -> [Run] {
        try connection.query("""
            SELECT \(columns(diff: false)) FROM schedule_runs WHERE status = 'queued' ORDER BY created_at, id LIMIT $1
            """, limit).map(run)
    }

    /// Whether a queued run older than now covers any of `capabilities` (a new run then queues
    /// behind it instead of overtaking it).
    public static func queuedCovering(on connection: PostgresConnection, _ capabilities: [String]) throws -> Bool {
        try !connection.query("SELECT 1 FROM schedule_runs WHERE status = 'queued' AND capabilities && $1::text[] LIMIT 1", capabilities).isEmpty
    }

    /// Turns a queued run into a running one owned by `owner` (its locks are held by then);
    /// nil when it is no longer queued.
    public static func markStarted(on connection: PostgresConnection, id: UUID, owner: String) throws -> Run? {
        try connection.query("""
            UPDATE schedule_runs SET status = 'running', owner = $2, started_at = now()
             WHERE id = $1 AND status = 'queued'
            RETURNING \(columns(diff: true))
            """, id, owner).first.map(run)
    }

    /// Which of `capabilities` some session holds the run lock of right now, in this database
    /// (advisory locks are per database; `pg_locks` shows the whole cluster's): a cheap look
    /// before opening a lock session that would only be refused.
    public static func lockedCapabilities(on connection: PostgresConnection, _ capabilities: [String]) throws -> Set<String> {
        func unsigned(_ value: Int32) -> Int64 { Int64(UInt32(bitPattern: value)) }
        let byKey = Dictionary(grouping: capabilities) { unsigned(RunLockSession.capabilityKey($0)) }
        let held = try connection.query("""
            SELECT DISTINCT objid::int8 FROM pg_locks
             WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::int8 = $1 AND objid::int8 = ANY($2::int8[])
               AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, unsigned(RunLockSession.namespace), Array(byKey.keys)).map { try $0.decode(Int64.self, 0) }
        return Set(held.flatMap { byKey[$0] ?? [] })
    }
}
