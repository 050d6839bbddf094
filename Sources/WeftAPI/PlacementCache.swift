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
/// the generation moved, the copy catches up from the change log (or is read again when the
/// log cannot help: slots added, factories edited); when only some slots are fuller than
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

        init(capability: String, asOf: Day, generation: Int64, candidates: CandidateRecords.Candidates,
             factorySlots: [Range<Int>], slotIndex: [Int64: Int]) {
            self.capability = capability
            self.asOf = asOf
            self.generation = generation
            self.candidates = candidates
            self.factorySlots = factorySlots
            self.slotIndex = slotIndex
        }

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

    struct Entry {
        var snapshot: Snapshot
        var free: [Int]
        /// Set when the database was seen at a later generation: catch up before planning.
        var behind = false
        /// Units of each pool per slot, as far as known (see ``PoolUnits``); dropped with the
        /// copy whenever the generation moves.
        var pools: [String: PoolUnits] = [:]
    }

    /// How a held copy is brought up to date: the slots changed since its generation, or nil
    /// when only reading everything again will do.
    typealias CatchUp = @Sendable (_ snapshot: Snapshot) async throws -> CandidateRecords.Changes?

    let entries = Mutex<[String: Entry]>([:])
    /// Reads in progress, by capability and day: requests that find no usable copy wait for
    /// the one read rather than each reading thousands of slots at once.
    private let reads = Mutex<[String: Task<Entry, any Error>]>([:])

    public init() {}

    /// The capability's copy for `asOf` and its free units now, if one is held and not known
    /// to be behind.
    func view(_ capability: String, asOf: Day) -> (snapshot: Snapshot, free: [Int])? {
        entries.withLock { entries in
            guard let entry = entries[capability], entry.snapshot.asOf == asOf, !entry.behind else { return nil }
            return (entry.snapshot, entry.free)
        }
    }

    /// The held copy for `asOf`; a copy known to be behind is first brought up to date from the
    /// change log (`catchUp`), and a missing one (or one the log cannot help) is read whole
    /// (`read`). Either is shared with every request that asks meanwhile.
    func view(_ capability: String, asOf: Day, catchUp: @escaping CatchUp,
              read: @escaping @Sendable () async throws -> Snapshot) async throws -> (snapshot: Snapshot, free: [Int]) {
        let held: Entry? = entries.withLock { entries in
            guard let entry = entries[capability], entry.snapshot.asOf == asOf else { return nil }
            return entry
        }
        if let held, !held.behind { return (held.snapshot, held.free) }
        let key = "\(capability)@\(asOf)"
        let task = reads.withLock { reads in
            if let running = reads[key] { return running }
            let task = Task { () async throws -> Entry in
                if let held, let changes = try await catchUp(held.snapshot), !changes.rereadAll,
                   let updated = Self.apply(changes, to: held) {
                    return updated
                }
                let snapshot = try await read()
                return Entry(snapshot: snapshot, free: snapshot.candidates.free)
            }
            reads[key] = task
            return task
        }
        let result = await task.result
        reads.withLock { reads in
            if reads[key] == task { reads[key] = nil }
        }
        let entry = try result.get()
        install(entry)
        return view(capability, asOf: asOf) ?? (entry.snapshot, entry.free)
    }

    /// The copy with the logged slots' current figures: their free units and unit costs are
    /// exact at the new generation, and every other slot's held figure is still at or above
    /// the truth (nothing that adds room happened to it, or it would be in the log). Nil when a
    /// logged slot is not the one held (moved to another day): read everything again.
    private static func apply(_ changes: CandidateRecords.Changes, to entry: Entry) -> Entry? {
        guard changes.generation != entry.snapshot.generation else {
            var same = entry
            same.behind = false
            return same
        }
        var candidates = entry.snapshot.candidates
        var free = entry.free
        for slot in changes.slots {
            if slot.day < entry.snapshot.asOf { continue } // a past day: not held
            guard let i = entry.snapshot.slotIndex[slot.id], candidates.slots[i].day == slot.day else { return nil }
            free[i] = max(0, slot.free)
            candidates.slots[i].unitCost = slot.unitCost
        }
        let snapshot = Snapshot(capability: entry.snapshot.capability, asOf: entry.snapshot.asOf, generation: changes.generation,
                                candidates: candidates, factorySlots: entry.snapshot.factorySlots, slotIndex: entry.snapshot.slotIndex)
        return Entry(snapshot: snapshot, free: free)
    }

    /// Holds a copy, unless one of a later generation arrived meanwhile.
    private func install(_ entry: Entry) {
        entries.withLock { entries in
            if let held = entries[entry.snapshot.capability], held.snapshot.asOf == entry.snapshot.asOf,
               held.snapshot.generation > entry.snapshot.generation { return }
            entries[entry.snapshot.capability] = entry
        }
    }

    /// Takes free units read from the database by a booking or a refused booking planned at
    /// `planned`. Within one generation a slot's free units only ever fall (whatever adds
    /// room moves the generation), so the smallest figure seen is the latest: taking the
    /// minimum keeps figures that arrive out of order from undoing each other, and the held
    /// figures never fall below the truth. A later generation marks the copy behind instead.
    func observed(_ capability: String, planned: Int64, current: Int64, free: [Int64: Int], slotIDs: [Int64]) {
        entries.withLock { entries in
            guard var entry = entries[capability], entry.snapshot.generation == planned else { return }
            entries[capability] = nil // keeps `entry.free` uniquely referenced: no copy on write
            if current != planned {
                entry.behind = true
            } else {
                for slotID in slotIDs {
                    // A slot missing from the answer is gone: nothing can be booked there.
                    if let i = entry.snapshot.slotIndex[slotID] { entry.free[i] = min(entry.free[i], max(0, free[slotID] ?? 0)) }
                }
            }
            entries[capability] = entry
        }
    }
}
