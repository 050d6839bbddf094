import Foundation
import Synchronization
import WeftStore

/// Each process's copy of the API keys it has recently seen to be valid, so that an
/// authenticated request does not cost a database round trip.
///
/// An entry is what one `SELECT … WHERE prefix = $1 AND revoked_at IS NULL` returned: the key's
/// id, role, factory or broker and the SHA-256 of its secret. It is used for ``maxAge`` counted
/// from the moment that query was sent, so a key revoked (or deleted) in the database stops
/// working within ``maxAge`` on every instance, with no signal between them; from
/// ``refreshAge`` on, the first request that uses an entry reads the row again in the
/// background, so that a key in steady use never waits for the database. A request that
/// finds no usable entry reads the row itself, sharing one read with every other request for
/// the same key meanwhile.
///
/// Nothing in an entry comes from the client: the presented secret is only compared (in
/// constant time) with the stored digest, and role and scope are the row's.
public final class APIKeyCache: Sendable {
    /// How long a read of a key may be relied on, from the moment it was sent.
    public let maxAge: Duration
    /// From this age on a use of the entry triggers a background read.
    public let refreshAge: Duration
    /// Entries kept at most; past it, expired entries are dropped.
    static let capacity = 10_000

    struct Entry: Sendable {
        let digest: [UInt8]
        let principal: Principal
        /// When the read that produced it was sent.
        let readAt: ContinuousClock.Instant
    }

    private struct Slot {
        var entry: Entry?
        /// The read under way for this prefix, if any.
        var reading: Task<Entry?, any Error>?
        var readID = 0
    }

    private let slots = Mutex<[String: Slot]>([:])
    private let nextReadID = Atomic<Int>(0)
    private let readCount = Atomic<Int>(0)
    /// Database reads of keys made so far (for tests and the curious).
    public var reads: Int { readCount.load(ordering: .relaxed) }
    private let clock = ContinuousClock()

    public init(maxAge: Duration = .milliseconds(500), refreshAge: Duration = .milliseconds(250)) {
        precondition(refreshAge <= maxAge)
        self.maxAge = maxAge
        self.refreshAge = refreshAge
    }

    /// The principal for `secret`, or nil when no valid key has that secret.
    func principal(for secret: APIKeySecret, pool: PostgresPool) async throws -> Principal? {
        let presented = secret.digest
        let now = clock.now
        enum Next { case use(Entry), wait(Task<Entry?, any Error>) }
        let next = slots.withLock { slots -> Next in
            var slot = slots[secret.prefix] ?? Slot()
            if let entry = slot.entry, entry.readAt.duration(to: now) < maxAge {
                if slot.reading == nil, entry.readAt.duration(to: now) >= refreshAge {
                    slot.reading = startRead(prefix: secret.prefix, pool: pool, slot: &slot)
                    slots[secret.prefix] = slot
                }
                return .use(entry)
            }
            if let reading = slot.reading { return .wait(reading) }
            let reading = startRead(prefix: secret.prefix, pool: pool, slot: &slot)
            slot.reading = reading
            if slots[secret.prefix] == nil, slots.count >= Self.capacity {
                slots = slots.filter { $0.value.reading != nil || ($0.value.entry.map { $0.readAt.duration(to: now) < maxAge } ?? false) }
            }
            slots[secret.prefix] = slot
            return .wait(reading)
        }
        let entry: Entry?
        switch next {
        case .use(let cached): entry = cached
        case .wait(let reading): entry = try await reading.value
        }
        guard let entry, constantTimeEquals(entry.digest, presented) else {
            return nil
        }
        return entry.principal
    }

    /// Forgets the key with this id at once (this process revoked it).
    func forget(keyID: UUID) {
        slots.withLock { slots in
            for (prefix, slot) in slots where slot.entry?.principal.keyID == keyID {
                slots[prefix]?.entry = nil
            }
        }
    }

    /// Starts reading `prefix`'s row; the result replaces the slot's entry when it is still
    /// this read's slot. Called with the lock held.
    private func startRead(prefix: String, pool: PostgresPool, slot: inout Slot) -> Task<Entry?, any Error> {
        let id = nextReadID.wrappingAdd(1, ordering: .relaxed).newValue
        slot.readID = id
        let clock = clock
        return Task {
            readCount.wrappingAdd(1, ordering: .relaxed)
            let sent = clock.now
            let result: Result<Entry?, any Error>
            do {
                result = .success(try await Self.read(prefix: prefix, pool: pool, at: sent))
            } catch {
                result = .failure(error)
            }
            slots.withLock { slots in
                guard var slot = slots[prefix], slot.readID == id else { return }
                slot.reading = nil
                switch result {
                case .success(let entry?): slot.entry = entry
                case .success(nil): slot.entry = nil
                case .failure: break  // keep what there is; it expires on its own
                }
                if slot.entry == nil {
                    slots[prefix] = nil
                } else {
                    slots[prefix] = slot
                }
            }
            return try result.get()
        }
    }

    private static func read(prefix: String, pool: PostgresPool, at sent: ContinuousClock.Instant) async throws -> Entry? {
        let rows = try await pool.query(
            "SELECT id, role, factory_id, broker_id, secret_hash FROM api_keys WHERE prefix = $1 AND revoked_at IS NULL", prefix)
        guard let row = rows.first, let role = Role(rawValue: try row.decode(String.self, 1)) else { return nil }
        return Entry(digest: try row.decode(Bytes.self, 4).bytes,
                     principal: Principal(keyID: try row.decode(UUID.self, 0), role: role,
                                          factoryID: try row.decode(UUID?.self, 2), brokerID: try row.decode(UUID?.self, 3)),
                     readAt: sent)
    }
}
