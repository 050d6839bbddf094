import Logging
import Synchronization
import WeftStore

/// Deletes expired `Idempotency-Key` records now and then: after an order that carried a
/// key, at most once per `interval` per process (at once after a purge that hit its batch
/// limit, so a backlog drains). Expired records are already ignored when read; this only
/// keeps the table from growing.
final class IdempotencyPurge: Sendable {
    /// The least time between two purges in one process.
    static let interval: Duration = .seconds(60)
    /// Records deleted by one purge at most.
    static let batch = 5_000

    private let next = Mutex<ContinuousClock.Instant?>(nil)

    /// Purges when one is due; a failure is logged and the next is tried after `interval`.
    func purgeIfDue(_ pool: PostgresPool, logger: Logger) async {
        let now = ContinuousClock.now
        let due = next.withLock { next -> Bool in
            if let at = next, at > now { return false }
            next = now + Self.interval
            return true
        }
        guard due else { return }
        do {
            let deleted = try await pool.withConnection { try IdempotencyRecords.purgeExpired(on: $0, limit: Self.batch) }
            if deleted == Self.batch { next.withLock { $0 = nil } }
            if deleted > 0 { logger.debug("purged expired idempotency keys", metadata: ["deleted": "\(deleted)"]) }
        } catch {
            logger.warning("could not purge expired idempotency keys", metadata: ["error": "\(error)"])
        }
    }
}
