import Foundation

extension RunRecords {
    /// Why a run may not write: it no longer holds its locks, or its row is no longer
    /// `running`. Either way another process may already treat it as dead and re-plan its
    /// capabilities, so nothing may be written.
    public enum LocksLost: Error, Sendable, Equatable, CustomStringConvertible {
        /// The lock session is gone (the database restarted, or its backend was terminated).
        case sessionEnded
        /// The run's row was finished by someone else (marked failed as abandoned).
        case notRunning

        public var description: String {
            switch self {
            case .sessionEnded: return "the run lost its locks (the database restarted or its lock session ended)"
            case .notRunning: return "the run lost its locks and was marked failed by another process"
            }
        }
    }

    /// Counts, in `pg_locks`, the run's locks held by backend $1: its own key in shared mode
    /// (one-bigint form: high and low halves in classid and objid, objsubid 1) and its
    /// capabilities' keys (two-int form, objsubid 2). Keys are compared as the unsigned 32-bit
    /// values PostgreSQL stores them as.
    static let heldLocksSQL = """
        SELECT count(*) FROM pg_locks
         WHERE locktype = 'advisory' AND granted AND pid = $1
           AND ((objsubid = 1 AND mode = 'ShareLock' AND classid::int8 = $2 AND objid::int8 = $3)
             OR (objsubid = 2 AND mode = 'ExclusiveLock' AND classid::int8 = $4 AND objid::int8 = ANY($5::int8[])))
        """

    static func heldLocksBinds(pid: Int32, run: UUID, capabilities: [String]) -> [any PostgresEncodable] {
        let key = UInt64(bitPattern: RunLockSession.runKey(run))
        func unsigned(_ value: Int32) -> Int64 { Int64(UInt32(bitPattern: value)) }
        return [pid, Int64(key >> 32), Int64(key & 0xFFFF_FFFF), unsigned(RunLockSession.namespace),
                capabilities.map { unsigned(RunLockSession.capabilityKey($0)) }]
    }

    /// Proves, inside a run's write transaction and before anything is written, that the run
    /// still owns its capabilities; throws ``LocksLost`` otherwise (the caller rolls back).
    ///
    /// Race-free across processes: first the run's own key is taken shared for the rest of the
    /// transaction, so `failAbandoned` (which needs it exclusively) cannot mark the run failed
    /// until COMMIT; then the lock session `lockHolder` must still hold every lock of the run
    /// (a session that died before that point fails here), and the row must still be
    /// `running` (it is locked `FOR SHARE` until COMMIT: no one can finish it meanwhile, yet
    /// the run's capabilities still write side by side). Should the session die after
    /// the check, its capabilities' locks become free but the run's row stays `running` until
    /// this transaction ends, and a new run refuses to start while such a row exists (see
    /// `RunCoordinator.start`): two runs never write the same capability.
    public static func claimWrite(on connection: PostgresConnection, run: UUID, lockHolder: Int32, capabilities: [String]) throws {
        guard try connection.query("SELECT pg_try_advisory_xact_lock_shared($1)", RunLockSession.runKey(run))[0].decode(Bool.self, 0) else {
            // Held exclusively: `failAbandoned` is marking the run failed right now.
            throw LocksLost.notRunning
        }
        let held = try connection.query(heldLocksSQL, binds: heldLocksBinds(pid: lockHolder, run: run, capabilities: capabilities))[0]
            .decode(Int.self, 0)
        guard held == 1 + capabilities.count else { throw LocksLost.sessionEnded }
        guard try !connection.query("SELECT 1 FROM schedule_runs WHERE id = $1 AND status = 'running' FOR SHARE", run)
            .isEmpty else { throw LocksLost.notRunning }
    }
}

extension RunRecords {
    /// Records a failed run's own outcome over the "server process stopped" another process
    /// wrote when it found the run's locks gone (a run that lost its locks and wrote nothing
    /// knows better why it failed). Touches only rows marked so and not yet given details.
    @discardableResult
    public static func replaceAbandoned(on connection: PostgresConnection, id: UUID, _ outcome: Outcome) throws -> Bool {
        try connection.query("""
            UPDATE schedule_runs
               SET score_before = $2, score_after = $3, bound = $4, moved = $5, diff = $6, details = $7, error = coalesce($8, error)
             WHERE id = $1 AND status = 'failed' AND error = $9 AND details IS NULL
            """, id, outcome.scoreBefore, outcome.scoreAfter, outcome.bound, outcome.moved, outcome.diff, outcome.details,
                 outcome.error, abandonedError).affectedRows == 1
    }
}
