import WeftCore
import WeftStore

/// The units each pool holds per slot, held beside the free units so that a pooled order reads
/// nothing before planning either.
///
/// Other processes' bookings add to a pool's units without moving the capability's generation,
/// so the held figures can be stale; that is safe the same way stale free units are. Within one
/// generation a slot's pool units only grow (whatever takes units out frees capacity and moves
/// the generation), and every figure taken in was the truth at some moment of the generation,
/// so held figures (the largest seen per slot) are never above the truth. A booking planned
/// from them sends their sum over the order's window (``OrderRecords/PoolCheck``): equal sums
/// then mean equal figures in every slot, i.e. the plan was made from the truth and is exact;
/// otherwise nothing is written and the refusal returns the window's figures, which are taken
/// in before planning again.
extension PlacementCache {
    /// One pool's units per slot at one generation.
    struct PoolUnits: Sendable {
        let generation: Int64
        /// By slot id; slots without units are missing.
        private(set) var units: [Int64: Int] = [:]
        /// The same units summed per day, for the sums a booking checks.
        private(set) var byDay: [Day: Int64] = [:]

        init(generation: Int64, rows: [BatchRecords.PoolUnits]) {
            self.generation = generation
            take(rows)
        }

        /// Takes figures read from the database at this generation: each slot keeps the larger.
        mutating func take(_ rows: [BatchRecords.PoolUnits]) {
            for row in rows {
                let held = units[row.slotID] ?? 0
                guard row.units > held else { continue }
                units[row.slotID] = row.units
                byDay[row.day, default: 0] += Int64(row.units - held)
            }
        }

        /// The held units of days `from` through `to`.
        func sum(from: Day, to: Day) -> Int64 {
            byDay.reduce(0) { $0 + ($1.key >= from && $1.key <= to ? $1.value : 0) }
        }
    }

    /// The held units of `pool` if they are at `generation`.
    func poolUnits(_ capability: String, pool: String, generation: Int64) -> PoolUnits? {
        entries.withLock { entries in
            guard let held = entries[capability]?.pools[pool], held.generation == generation else { return nil }
            return held
        }
    }

    /// Takes figures of `pool` read at `generation`: `complete` (every slot of the copy's days,
    /// ``BatchRecords/poolUnitsAtGeneration(on:capability:pool:from:)``) starts the pool's
    /// figures if none are held; other reads (some slots or days) only add to held ones.
    /// Ignored unless the held copy is at `generation`.
    func observedPool(_ capability: String, pool: String, generation: Int64, rows: [BatchRecords.PoolUnits], complete: Bool) {
        entries.withLock { entries in
            guard var entry = entries[capability], entry.snapshot.generation == generation else { return }
            entries[capability] = nil // keeps the held figures uniquely referenced: no copy on write
            if var held = entry.pools.removeValue(forKey: pool), held.generation == generation {
                held.take(rows)
                entry.pools[pool] = held
            } else if complete {
                entry.pools[pool] = PoolUnits(generation: generation, rows: rows)
            }
            entries[capability] = entry
        }
    }
}
