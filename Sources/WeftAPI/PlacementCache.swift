import Foundation
import Synchronization
import WeftCore
import WeftStore

/// This process's copy of each capability's factories and slots (from today on) with their
/// free units, so that placing an order reads nothing from the database: reading and sorting
/// a few thousand slots per order used to be most of an order's cost.
///
/// The copy may be stale, and that is safe: the booking statement
/// (``OrderRecords/book(on:_:_:generation:)``) re-checks every slot it books under row locks
/// and checks the capability's generation, which every change that can add capacity moves
/// (migration 0005). A stale copy therefore costs one more round, never a wrong write: when
/// the generation moved, the copy is read again; when only some slots are fuller than
/// believed (other requests or processes booked them), their fresh figures are taken from the
/// refusal. Held figures are never below the truth, so no plan is worse than the database
/// allows.
public final class PlacementCache: Sendable {
    /// One capability as read at one generation.
    struct Snapshot: Sendable {
        let capability: String
        /// The first day read: the day the snapshot is for.
        let asOf: Day
        let generation: Int64
        let candidates: CandidateRecords.Candidates
        /// Each factory's slots, as a range of `candidates.slots` (they come grouped by factory).
        let factorySlots: [Range<Int>]
        let slotIndex: [Int64: Int]

        init(capability: String, asOf: Day, generation: Int64, candidates: CandidateRecords.Candidates) {
            self.capability = capability
            self.asOf = asOf
            self.generation = generation
            self.candidates = candidates
            var ranges = [Range<Int>](repeating: 0..<0, count: candidates.factories.count)
            var start = 0
            while start < candidates.slots.count {
                let factory = candidates.slots[start].factory
                var end = start + 1
                while end < candidates.slots.count, candidates.slots[end].factory == factory { end += 1 }
                ranges[factory] = start..<end
                start = end
            }
            factorySlots = ranges
            slotIndex = Dictionary(uniqueKeysWithValues: candidates.slotIDs.enumerated().map { ($1, $0) })
        }
    }

    private struct Entry {
        var snapshot: Snapshot
        var free: [Int]
    }

    private let entries = Mutex<[String: Entry]>([:])
    /// Reads in progress, by capability and day: requests that find no snapshot wait for the
    /// one read rather than each reading thousands of slots at once.
    private let reads = Mutex<[String: Task<Snapshot, any Error>]>([:])

    public init() {}

    /// The capability's snapshot and its free units now, if one for `asOf` is held.
    func view(_ capability: String, asOf: Day) -> (snapshot: Snapshot, free: [Int])? {
        entries.withLock { entries in
            guard let entry = entries[capability], entry.snapshot.asOf == asOf else { return nil }
            return (entry.snapshot, entry.free)
        }
    }

    /// The held snapshot for `asOf`, or one read by `read` (shared with every request that
    /// asks while it is being read).
    func view(_ capability: String, asOf: Day, read: @escaping @Sendable () async throws -> Snapshot) async throws -> (snapshot: Snapshot, free: [Int]) {
        if let held = view(capability, asOf: asOf) { return held }
        let key = "\(capability)@\(asOf)"
        let task = reads.withLock { reads in
            if let running = reads[key] { return running }
            let task = Task { try await read() }
            reads[key] = task
            return task
        }
        let result = await task.result
        reads.withLock { reads in
            if reads[key] == task { reads[key] = nil }
        }
        let snapshot = try result.get()
        install(snapshot)
        return view(capability, asOf: asOf) ?? (snapshot, snapshot.candidates.free)
    }

    /// Holds a freshly read snapshot, unless one of a later generation arrived meanwhile.
    func install(_ snapshot: Snapshot) {
        entries.withLock { entries in
            if let held = entries[snapshot.capability], held.snapshot.asOf == snapshot.asOf,
               held.snapshot.generation > snapshot.generation { return }
            entries[snapshot.capability] = Entry(snapshot: snapshot, free: snapshot.candidates.free)
        }
    }

    /// Takes free units read from the database by a booking or a refused booking planned at
    /// `planned`. Within one generation a slot's free units only ever fall (whatever adds
    /// room moves the generation), so the smallest figure seen is the latest: taking the
    /// minimum keeps figures that arrive out of order from undoing each other, and the held
    /// figures never fall below the truth. A new generation drops the snapshot instead.
    func observed(_ capability: String, planned: Int64, current: Int64, free: [Int64: Int], slotIDs: [Int64]) {
        entries.withLock { entries in
            guard var entry = entries[capability], entry.snapshot.generation == planned else { return }
            entries[capability] = nil // keeps `entry.free` uniquely referenced: no copy on write
            guard current == planned else { return }
            for slotID in slotIDs {
                // A slot missing from the answer is gone: nothing can be booked there.
                if let i = entry.snapshot.slotIndex[slotID] { entry.free[i] = min(entry.free[i], max(0, free[slotID] ?? 0)) }
            }
            entries[capability] = entry
        }
    }

    /// Forgets a capability, e.g. after repeated refusals.
    func drop(_ capability: String) {
        _ = entries.withLock { $0.removeValue(forKey: capability) }
    }
}
