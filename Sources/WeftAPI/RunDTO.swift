import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// How long each phase of a run took, in milliseconds.
struct RunTimingsDTO: Codable, Sendable {
    /// Reading the problems (all capabilities, in parallel).
    var loadMs: Int
    /// From the end of reading to the last capability solved (bound, construction, search),
    /// including any re-solve after a conflict.
    var solveMs: Int
    /// From then to the end: the writes still under way. Each capability's plan is written
    /// (one transaction per capability) as soon as it is solved, so earlier ones overlap the
    /// solving of the rest; each capability's own `write_ms` says how long its write took.
    var writeMs: Int
    var totalMs: Int
}

/// What a run did for one capability.
struct CapabilityRunDTO: Codable, Sendable {
    /// `written` (plan changes written), `unchanged` (the plan was already the best found),
    /// `dry_run` (diff computed, nothing written), `skipped` (data changed meanwhile twice:
    /// nothing written), `failed` (an error; nothing written).
    var capability: String
    var outcome: String
    var note: String?
    var orders = 0
    var factories = 0
    var slots = 0
    var allocations = 0
    var scoreBefore: Scheduling.Score?
    var scoreAfter: Scheduling.Score?
    var bound: Scheduling.Bound?
    /// Relative cost gap `(score_after.cost − bound.cost) / score_after.cost` when unserved
    /// equals the bound's; nil otherwise.
    var gap: Double?
    /// Relative unserved gap `(score_after.unserved − bound.unserved) / score_after.unserved`
    /// (0 when they are equal).
    var unservedGap: Double?
    /// Whether the plan's score equals the proven bound (both parts): no valid plan is better.
    /// (Optional, like the other new fields, so that details stored before they existed still
    /// decode.)
    var optimal: Bool?
    /// Which computation proved the bound (`per_order`, `transportation`, `lagrangian`, `mip`).
    var boundMethod: String?
    /// (order, slot) pairs whose unpinned units changed.
    var moved = 0
    var iterations = 0
    /// 2 when the first plan met a conflict and the capability was read and solved again.
    var attempts = 0
    var deleted = 0
    var updated = 0
    var inserted = 0
    var loadMs = 0
    var boundMs = 0
    var searchMs = 0
    /// Of `search_ms`, the exact (CBC) step, which runs beside the search when a thread is free.
    var exactMs: Int?
    var writeMs = 0

    init(capability: String) {
        self.capability = capability
        self.outcome = "failed"
    }
}

/// Stored in `schedule_runs.details`.
struct RunDetailsDTO: Codable, Sendable {
    var capabilityResults: [CapabilityRunDTO]
    var timings: RunTimingsDTO
}

/// One changed (order, slot) of a dry run.
struct RunDiffEntryDTO: Codable, Sendable {
    var orderId: String
    var capability: String
    var slotId: String
    var factoryId: String
    var date: Day
    var unitsBefore: Int
    var unitsAfter: Int
}

/// A run as clients see it: `GET /v1/schedule-runs/{id}`, and the 202 of the POST.
struct RunDTO: Encodable, Sendable {
    var id: String
    var status: String
    var capabilities: [String]
    var dryRun: Bool
    var timeLimitMs: Int
    var seed: Int64
    var asOf: Day
    var progress: Double
    var scoreBefore: Scheduling.Score?
    var scoreAfter: Scheduling.Score?
    var bound: Scheduling.Bound?
    /// `(score_after.cost − bound.cost) / score_after.cost` when the plan serves as much as the
    /// bound allows; null otherwise (the gap is then in unserved units).
    var gap: Double?
    /// `(score_after.unserved − bound.unserved) / score_after.unserved`, 0 when equal.
    var unservedGap: Double?
    /// Whether `score_after` equals `bound` (both parts): every capability's plan is proven optimal.
    var optimal: Bool?
    var moved: Int?
    var createdAt: Date
    var startedAt: Date?
    var finishedAt: Date?
    var error: String?
    var timings: RunTimingsDTO?
    var capabilityResults: [CapabilityRunDTO]?
    /// Dry runs only, and only on the single-run read.
    var diff: [RunDiffEntryDTO]?

    init(_ run: RunRecords.Run) {
        id = run.id.lowercasedString
        status = run.status
        capabilities = run.capabilities
        dryRun = run.dryRun
        timeLimitMs = run.timeLimitMs
        seed = run.seed
        asOf = run.asOf
        progress = run.progress
        scoreBefore = Self.decode(run.scoreBefore)
        scoreAfter = Self.decode(run.scoreAfter)
        bound = Self.decode(run.bound)
        if let bound, let scoreAfter {
            gap = bound.costGap(of: scoreAfter)
            unservedGap = bound.unservedGap(of: scoreAfter)
            optimal = bound.isMet(by: scoreAfter)
        }
        moved = run.moved
        createdAt = run.createdAt
        startedAt = run.startedAt
        finishedAt = run.finishedAt
        error = run.error
        let details: RunDetailsDTO? = Self.decode(run.details)
        timings = details?.timings
        capabilityResults = details?.capabilityResults
        diff = run.dryRun ? Self.decode(run.diff) : nil
    }

    static func decode<T: Decodable>(_ json: JSONB?) -> T? {
        json.flatMap { try? JSON.decoder.decode(T.self, from: Data($0.text.utf8)) }
    }

    static func encode<T: Encodable>(_ value: T?) throws -> JSONB? {
        try value.map { JSONB(String(decoding: try JSON.encoder.encode($0), as: UTF8.self)) }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, capabilities, dryRun, timeLimitMs, seed, asOf, progress, scoreBefore, scoreAfter, bound, gap, unservedGap, optimal, moved
        case createdAt, startedAt, finishedAt, error, timings, capabilityResults, diff
    }

    /// Fields clients rely on are always present, as null until known; `diff` only when it applies.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(status, forKey: .status)
        try c.encode(capabilities, forKey: .capabilities)
        try c.encode(dryRun, forKey: .dryRun)
        try c.encode(timeLimitMs, forKey: .timeLimitMs)
        try c.encode(seed, forKey: .seed)
        try c.encode(asOf, forKey: .asOf)
        try c.encode(progress, forKey: .progress)
        try c.encode(scoreBefore, forKey: .scoreBefore)
        try c.encode(scoreAfter, forKey: .scoreAfter)
        try c.encode(bound, forKey: .bound)
        try c.encode(gap, forKey: .gap)
        try c.encode(unservedGap, forKey: .unservedGap)
        try c.encode(optimal, forKey: .optimal)
        try c.encode(moved, forKey: .moved)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(error, forKey: .error)
        try c.encode(timings, forKey: .timings)
        try c.encode(capabilityResults, forKey: .capabilityResults)
        try c.encodeIfPresent(diff, forKey: .diff)
    }
}
