import Dispatch
import Foundation
import WeftCore

/// SQL for `schedule_runs`: a run's row from start to finish, the history, and recognising
/// runs whose process died.
public enum RunRecords {
    /// A run as stored. Scores, bound, diff and details are JSON written by the API layer.
    public struct Run: Sendable {
        public var id: UUID
        public var status: String
        public var capabilities: [String]
        public var dryRun: Bool
        public var timeLimitMs: Int
        public var seed: Int64
        public var asOf: Day
        public var progress: Double
        public var scoreBefore: JSONB?
        public var scoreAfter: JSONB?
        public var bound: JSONB?
        public var moved: Int?
        /// Only read when asked for (it can be large).
        public var diff: JSONB?
        public var details: JSONB?
        public var error: String?
        public var owner: String?
        public var requestedBy: UUID?
        public var createdAt: Date
        public var startedAt: Date?
        public var finishedAt: Date?
    }

    /// What a new run is asked to do.
    public struct NewRun: Sendable {
        public var id: UUID
        public var capabilities: [String]
        public var dryRun: Bool
        public var timeLimitMs: Int
        public var seed: Int64
        public var asOf: Day
        /// Which process runs it (host and pid), for people reading the table.
        public var owner: String
        public var requestedBy: UUID?

        public init(id: UUID, capabilities: [String], dryRun: Bool, timeLimitMs: Int, seed: Int64, asOf: Day, owner: String, requestedBy: UUID?) {
            self.id = id; self.capabilities = capabilities; self.dryRun = dryRun; self.timeLimitMs = timeLimitMs
            self.seed = seed; self.asOf = asOf; self.owner = owner; self.requestedBy = requestedBy
        }
    }

    /// How a run ended.
    public struct Outcome: Sendable {
        public var status: String
        public var scoreBefore: JSONB?
        public var scoreAfter: JSONB?
        public var bound: JSONB?
        public var moved: Int?
        public var diff: JSONB?
        public var details: JSONB?
        public var error: String?

        public init(status: String, scoreBefore: JSONB? = nil, scoreAfter: JSONB? = nil, bound: JSONB? = nil, moved: Int? = nil,
                    diff: JSONB? = nil, details: JSONB? = nil, error: String? = nil) {
            self.status = status; self.scoreBefore = scoreBefore; self.scoreAfter = scoreAfter; self.bound = bound
            self.moved = moved; self.diff = diff; self.details = details; self.error = error
        }
    }

    /// Set on runs found `running` although no process holds their lock.
    public static let abandonedError = "server process stopped"

    static func columns(diff: Bool) -> String {
        """
        id, status, capabilities, dry_run, time_limit_ms, seed, as_of, progress, score_before, score_after, bound, moved,
        \(diff ? "diff" : "NULL::jsonb"), details, error, owner, requested_by, created_at, started_at, finished_at
        """
    }

    static func run(_ row: PostgresRow) throws -> Run {
        Run(id: try row.decode(UUID.self, 0), status: try row.decode(String.self, 1), capabilities: try row.decode([String].self, 2),
            dryRun: try row.decode(Bool.self, 3), timeLimitMs: try row.decode(Int.self, 4), seed: try row.decode(Int64.self, 5),
            asOf: try row.decode(Day.self, 6), progress: try row.decode(Double.self, 7), scoreBefore: try row.decode(JSONB?.self, 8),
            scoreAfter: try row.decode(JSONB?.self, 9), bound: try row.decode(JSONB?.self, 10), moved: try row.decode(Int?.self, 11),
            diff: try row.decode(JSONB?.self, 12), details: try row.decode(JSONB?.self, 13), error: try row.decode(String?.self, 14),
            owner: try row.decode(String?.self, 15), requestedBy: try row.decode(UUID?.self, 16), createdAt: try row.decode(Date.self, 17),
            startedAt: try row.decode(Date?.self, 18), finishedAt: try row.decode(Date?.self, 19))
    }

    /// Stores a run that starts now (its locks are already held, so it is `running` at once).
    public static func insert(on connection: PostgresConnection, _ new: NewRun) throws -> Run {
        try run(connection.query("""
            INSERT INTO schedule_runs (id, status, capabilities, dry_run, time_limit_ms, seed, as_of, owner, requested_by, started_at)
            VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8, now())
            RETURNING \(columns(diff: true))
            """, new.id, new.capabilities, new.dryRun, new.timeLimitMs, new.seed, new.asOf, new.owner, new.requestedBy)[0])
    }

    /// One run, with its diff when `withDiff`.
    public static func find(on connection: PostgresConnection, id: UUID, withDiff: Bool = true) throws -> Run? {
        try connection.query("SELECT \(columns(diff: withDiff)) FROM schedule_runs WHERE id = $1", id).first.map(run)
    }

    /// A page of runs, newest first, without diffs; `before` is the last run of the previous
    /// page. One more than `limit` is fetched to know whether more follow.
    public static func list(on connection: PostgresConnection, statuses: [String], before: (createdAt: Date, id: UUID)?, limit: Int) throws -> [Run] {
        try connection.query("""
            SELECT \(columns(diff: false)) FROM schedule_runs
             WHERE (cardinality($1::text[]) = 0 OR status = ANY($1))
               AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3::uuid))
             ORDER BY created_at DESC, id DESC
             LIMIT $4
            """, statuses, before?.createdAt, before?.id, limit + 1).map(run)
    }

    /// Records progress (0...1) of a running run.
    public static func setProgress(on connection: PostgresConnection, id: UUID, progress: Double) throws {
        // SKIP LOCKED: while a write transaction holds the row (see `claimWrite`), this report
        // is dropped (the next one follows shortly) instead of queueing behind it.
        try connection.query("""
            UPDATE schedule_runs SET progress = $2
             WHERE id = (SELECT id FROM schedule_runs WHERE id = $1 AND status = 'running' FOR NO KEY UPDATE SKIP LOCKED)
            """, id, min(1, max(0, progress)))
    }

    /// Records how a run ended; a run already finished (marked abandoned meanwhile) is left alone.
    @discardableResult
    public static func finish(on connection: PostgresConnection, id: UUID, _ outcome: Outcome) throws -> Bool {
        try connection.query("""
            UPDATE schedule_runs
               SET status = $2, progress = CASE WHEN $2 = 'succeeded' THEN 1 ELSE progress END,
                   score_before = $3, score_after = $4, bound = $5, moved = $6, diff = $7, details = $8, error = $9,
                   finished_at = now()
             WHERE id = $1 AND status IN ('queued', 'running')
            """, id, outcome.status, outcome.scoreBefore, outcome.scoreAfter, outcome.bound, outcome.moved, outcome.diff,
                 outcome.details, outcome.error).affectedRows == 1
    }

    /// Running runs that cover any of `capabilities` (to name the run holding a lock); with
    /// `queued`, queued ones too.
    public static func unfinished(on connection: PostgresConnection, covering capabilities: [String],
                                  queued: Bool = false) throws -> [(id: UUID, capabilities: [String])] {
        try connection.query("""
            SELECT id, capabilities FROM schedule_runs
             WHERE (status = 'running' OR ($2 AND status = 'queued')) AND capabilities && $1::text[] ORDER BY created_at
            """, capabilities, queued).map { (try $0.decode(UUID.self, 0), try $0.decode([String].self, 1)) }
    }

    /// Marks failed every running run (or just `id`) whose lock nobody holds: the process
    /// that ran it has died (its session, and with it the lock, is gone). Returns their ids.
    /// Queued runs hold no lock and belong to no process: any process starts them later.
    ///
    /// Safe against a run finishing at the same moment: a run takes its lock before its row
    /// is `running` and gives it up only after writing its outcome, and the update below only
    /// touches rows still running.
    @discardableResult
    public static func failAbandoned(on connection: PostgresConnection, id: UUID? = nil) throws -> [UUID] {
        let candidates = try connection.query("""
            SELECT id FROM schedule_runs WHERE status = 'running' AND ($1::uuid IS NULL OR id = $1) ORDER BY created_at
            """, id).map { try $0.decode(UUID.self, 0) }
        var failed: [UUID] = []
        for run in candidates {
            let key = RunLockSession.runKey(run)
            guard try connection.query("SELECT pg_try_advisory_lock($1)", key)[0].decode(Bool.self, 0) else { continue }
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", key) }
            let updated = try connection.query("""
                UPDATE schedule_runs SET status = 'failed', error = $2, finished_at = now()
                 WHERE id = $1 AND status = 'running'
                """, run, abandonedError).affectedRows
            if updated == 1 { failed.append(run) }
        }
        return failed
    }

    /// When the newest run that was not a dry run was created, if any (for periodic runs).
    public static func lastRealRunStart(on connection: PostgresConnection) throws -> Date? {
        try connection.query("SELECT max(created_at) FROM schedule_runs WHERE NOT dry_run")[0].decode(Date?.self, 0)
    }
}

/// The advisory locks of one run, held on a connection of its own for the run's whole life.
///
/// Session-level locks belong to a connection: if the process dies, PostgreSQL ends the
/// session and the locks are gone, so a crashed run never blocks its capabilities. A pooled
/// connection cannot hold them (it is handed to other requests between statements), hence the
/// dedicated one. Two kinds of keys: one per capability (two-int form: a fixed namespace and a
/// hash of the code), so at most one run per capability runs across all server processes; and
/// one per run (one-bigint form, from its id), which tells whether the run is still alive.
///
/// The run's own key is held in *shared* mode: the run's write transactions take it shared too
/// (`RunRecords.claimWrite`), which pins the run alive until they commit, while
/// `failAbandoned` takes it exclusively and so only ever sees a run with no holder at all.
public final class RunLockSession: @unchecked Sendable {
    // The connection is used only on `queue`, one call at a time.
    private let connection: PostgresConnection
    private let queue: DispatchQueue
    private var released = false
    /// The capabilities this session locked.
    public let capabilities: [String]
    /// The run whose locks these are.
    public let runID: UUID
    /// The PostgreSQL backend holding the locks: a write transaction proves the run still
    /// holds them by finding them in `pg_locks` under this pid.
    public let backendPID: Int32

    /// Some capabilities are locked by another run.
    public struct Busy: Error, Sendable, Equatable {
        public var capabilities: [String]

        public init(capabilities: [String]) { self.capabilities = capabilities }
    }

    /// "WeFt" in ASCII: the namespace of capability locks.
    public static let namespace: Int32 = 0x5765_4674

    /// The capability's lock key: FNV-1a of its code. Two codes sharing a key only means they
    /// cannot run at the same time, never that one runs twice.
    public static func capabilityKey(_ capability: String) -> Int32 {
        var hash: UInt32 = 2_166_136_261
        for byte in capability.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return Int32(bitPattern: hash)
    }

    /// The run's own lock key: the first eight bytes of its id.
    public static func runKey(_ id: UUID) -> Int64 {
        let u = id.uuid
        let bytes = [u.0, u.1, u.2, u.3, u.4, u.5, u.6, u.7]
        return Int64(bitPattern: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }

    private init(connection: PostgresConnection, queue: DispatchQueue, runID: UUID, capabilities: [String]) {
        self.connection = connection
        self.queue = queue
        self.runID = runID
        self.capabilities = capabilities
        self.backendPID = connection.backendPID
    }

    /// Opens a connection, takes the run's own lock and then each capability's lock without
    /// waiting (`pg_try_advisory_lock`). All or nothing: if some capability is locked, every
    /// lock taken is released and `Busy` names the busy ones; with `skipBusy` the free ones are
    /// kept instead (`Busy` only if none is free).
    public static func acquire(connectionString: String, runID: UUID, capabilities: [String], skipBusy: Bool = false) async throws -> RunLockSession {
        let queue = DispatchQueue(label: "weft.run-locks")
        return try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result {
                    let connection = try PostgresConnection.connect(connectionString)
                    try connection.query("SET application_name = 'weft run'")
                    guard try connection.query("SELECT pg_try_advisory_lock_shared($1)", runKey(runID))[0].decode(Bool.self, 0) else {
                        throw PostgresError(.server, "run \(runID) is already locked")
                    }
                    var held: [String] = [], busy: [String] = []
                    for capability in capabilities.sorted() {
                        let free = try connection.query("SELECT pg_try_advisory_lock($1, $2)", namespace, capabilityKey(capability))[0]
                            .decode(Bool.self, 0)
                        if free { held.append(capability) } else { busy.append(capability) }
                    }
                    if !busy.isEmpty && (!skipBusy || held.isEmpty) { throw Busy(capabilities: busy) }
                    return RunLockSession(connection: connection, queue: queue, runID: runID, capabilities: held)
                })
            }
        }
    }

    /// Whether the session is alive and still holds every lock it took, asked over the session
    /// itself (a quick check before a write; the write transaction proves it again, race-free).
    /// False once released, or if the connection or its backend is gone (a restarted database,
    /// a terminated backend), since PostgreSQL drops a session's locks with it.
    public func isHeld() async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            queue.async { [self] in
                guard !released, !connection.isBroken else { return continuation.resume(returning: false) }
                let held = try? connection.query(RunRecords.heldLocksSQL,
                                                 binds: RunRecords.heldLocksBinds(pid: connection.backendPID, run: runID, capabilities: capabilities))
                continuation.resume(returning: (try? held?[0].decode(Int.self, 0)) == 1 + capabilities.count)
            }
        }
    }

    /// Releases every lock by closing the connection. Calling it again does nothing.
    public func release() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                if !released {
                    released = true
                    _ = try? connection.query("SELECT pg_advisory_unlock_all()")
                }
                continuation.resume()
            }
        }
    }
}
