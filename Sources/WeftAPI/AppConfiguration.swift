import WeftCore
import Foundation

/// Settings the API layer needs at run time (the command line fills them from flags and
/// environment variables).
public struct AppConfiguration: Sendable {
    /// Allocations on days before `as_of + freezeDays` are pinned (`WEFT_FREEZE_DAYS`).
    public var freezeDays: Int
    /// Serve this file at `/openapi.yaml` instead of the copy built into the binary.
    public var openAPIPath: String?
    /// `time_limit_ms` of a run that gives none.
    public var runTimeLimitMs: Int
    /// Start a run of every capability this often (`WEFT_RUN_INTERVAL`, seconds); nil: never.
    public var runInterval: Duration?
    /// Per-API-key request rate limit; nil: unlimited (the default).
    public var rateLimit: RateLimitConfiguration?
    /// How long an `Idempotency-Key` is remembered after its first use (`WEFT_IDEMPOTENCY_TTL_SECONDS`);
    /// after that the key may be used again, for a new request.
    public var idempotencyTTLSeconds: Int
    /// Solves the runs' exact step (CBC in a child process: `weft serve` passes WeftMIP's
    /// `ProcessMIPSolver`); nil: runs use the search and the flow/Lagrangian bounds only.
    public var mipSolver: (any MIPSolver)?

    public init(freezeDays: Int = 1, openAPIPath: String? = nil, runTimeLimitMs: Int = 5_000, runInterval: Duration? = nil,
                rateLimit: RateLimitConfiguration? = nil, idempotencyTTLSeconds: Int = 86_400, mipSolver: (any MIPSolver)? = nil) {
        self.freezeDays = freezeDays
        self.openAPIPath = openAPIPath
        self.runTimeLimitMs = runTimeLimitMs
        self.runInterval = runInterval
        self.rateLimit = rateLimit
        self.idempotencyTTLSeconds = idempotencyTTLSeconds
        self.mipSolver = mipSolver
    }
}
