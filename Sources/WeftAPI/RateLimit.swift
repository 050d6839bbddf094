import Foundation
import NIOHTTP1
import Synchronization
import WeftHTTP

/// How many requests one API key may make: a token bucket refilled at ``perSecond`` that
/// holds at most ``burst`` tokens.
///
/// The buckets live in each process: behind N `weft serve` processes a key may make up
/// to N times the rate (less when the load balancer sticks a client to one process). That
/// is good enough to stop a runaway client, which is what this is for; an exact global
/// limit would cost a database round trip per request.
public struct RateLimitConfiguration: Sendable, Equatable {
    /// Tokens added per second (`WEFT_RATE_LIMIT_PER_SECOND`).
    public var perSecond: Double
    /// The most tokens a bucket holds: how many requests may arrive at once after a quiet
    /// spell (`WEFT_RATE_LIMIT_BURST`).
    public var burst: Int
    /// Whether admin keys are limited too (`WEFT_RATE_LIMIT_ADMINS`); off by default, as
    /// admins run the reports and bulk loads that need headroom.
    public var limitAdmins: Bool

    /// A limit of `perSecond` with `burst` (default: twice the rate, at least 1).
    public init(perSecond: Double, burst: Int? = nil, limitAdmins: Bool = false) {
        precondition(perSecond > 0, "rate limit must be positive")
        self.perSecond = perSecond
        self.burst = max(1, burst ?? Int((perSecond * 2).rounded(.up)))
        self.limitAdmins = limitAdmins
    }
}

/// Token buckets keyed by API key id. Thread-safe; one per app.
final class RateLimiter: Sendable {
    let configuration: RateLimitConfiguration
    private let buckets = Mutex<[UUID: Bucket]>([:])
    /// Above this many buckets, full ones are dropped: they are indistinguishable from new.
    private let pruneThreshold = 10_000

    struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    init(configuration: RateLimitConfiguration) {
        self.configuration = configuration
    }

    /// Takes a token for `key`; nil when granted, else the seconds until one is available.
    func acquire(key: UUID, now: ContinuousClock.Instant = .now) -> Int? {
        let rate = configuration.perSecond
        let capacity = Double(configuration.burst)
        return buckets.withLock { buckets -> Int? in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(capacity, bucket.tokens + max(0, seconds) * rate)
            bucket.updated = now
            defer {
                buckets[key] = bucket
                if buckets.count > pruneThreshold { Self.prune(&buckets, now: now, rate: rate, capacity: capacity) }
            }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up)))
        }
    }

    private static func prune(_ buckets: inout [UUID: Bucket], now: ContinuousClock.Instant, rate: Double, capacity: Double) {
        buckets = buckets.filter { _, bucket in
            let elapsed = now - bucket.updated
            return bucket.tokens + Double(elapsed.components.seconds) * rate < capacity
        }
    }
}

/// Refuses requests over their key's rate with 429 and `Retry-After`. Runs inside the key
/// gate, so only authenticated `/v1` requests are limited; health checks and scrapes never are.
struct RateLimitMiddleware: Middleware {
    let limiter: RateLimiter
    let metrics: WeftMetrics

    func respond(to request: Request, next: any Responder) async throws -> Response {
        guard let principal = Principal.current,
              principal.role != .admin || limiter.configuration.limitAdmins else {
            return try await next.respond(to: request)
        }
        if let retryAfter = limiter.acquire(key: principal.keyID) {
            metrics.recordRateLimited(role: principal.role.rawValue)
            let limit = limiter.configuration
            throw HTTPError(
                .tooManyRequests,
                detail: "This API key is limited to \(Self.format(limit.perSecond)) requests per second (bursts of \(limit.burst)); retry after \(retryAfter) s.",
                headers: ["Retry-After": String(retryAfter)]
            )
        }
        return try await next.respond(to: request)
    }

    private static func format(_ rate: Double) -> String {
        rate == rate.rounded() ? String(Int(rate)) : String(rate)
    }
}
