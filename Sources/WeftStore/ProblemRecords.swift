import Foundation
import WeftCore

/// Reads one capability's scheduling problem for a run, and writes a solved plan back as a
/// diff: only the (order, slot) units that changed, re-checked against what changed meanwhile.
public enum ProblemRecords {
    /// A capability's problem with the database ids behind every index, and the allocation rows
    /// the starting plan came from (to notice, at write time, that an order changed meanwhile).
    public struct Loaded: Sendable {
        public var problem: Scheduling.Problem
        /// Parallel to `problem.factories`.
        public var factoryIDs: [UUID]
        /// Parallel to `problem.slots`.
        public var slotIDs: [Int64]
        /// Parallel to `problem.orders`.
        public var orderIDs: [UUID]
        /// Parallel to `problem.allocations`: the row each came from.
        public var rows: [AllocationRow]
    }

    /// The identity and state of an allocation row when the problem was read.
    public struct AllocationRow: Sendable, Hashable {
        public var id: Int64
        public var confirmed: Bool
    }

    /// Every capability a run over "all capabilities" covers: offered by some factory or
    /// wanted by some open order.
    public static func capabilities(on connection: PostgresConnection) throws -> [String] {
        try connection.query("""
            SELECT capability FROM factory_capabilities
            UNION SELECT capability FROM orders WHERE status <> 'cancelled'
            ORDER BY 1
            """).map { try $0.decode(String.self, 0) }
    }

    /// Reads the problem of `capability` as of `asOf`. Call inside one REPEATABLE READ
    /// transaction so that every query sees the same snapshot.
    ///
    /// - Factories: every factory offering the capability (inactive ones too: their current
    ///   allocations must be seen, and the model makes them ineligible for new units).
    /// - Orders: not cancelled, due on or after `asOf` (an order due earlier can get no new
    ///   units; its allocations, all in the past, stay as they are and are subtracted from
    ///   the slots they share with the problem), with all their allocations. Unscheduled and
    ///   partial orders are included, so a run places waiting orders.
    /// - Slots: from `asOf` up to the last due date, plus any earlier slot holding an
    ///   allocation of a loaded order. A slot's units in the problem are its units minus what
    ///   orders outside the problem hold there.
    /// - Pinned: confirmed allocations, and those on a day before `asOf + freezeDays`.
    public static func load(on connection: PostgresConnection, capability: String, asOf: Day, freezeDays: Int) throws -> Loaded {
        let (factoryIDs, factories, factoryIndex) = try CandidateRecords.factories(on: connection, capability: capability)

        var orderIDs: [UUID] = []
        var orders: [Scheduling.Order] = []
        var orderIndex: [UUID: Int] = [:]
        var lastDue = asOf
        for row in try connection.query("""
            SELECT id, quantity, due_date, release_date, max_unit_cost, regions, certifications, min_lot, max_factories, priority, pool
              FROM orders WHERE capability = $1 AND status <> 'cancelled' AND due_date >= $2 ORDER BY id
            """, capability, asOf) {
            let id = try row.decode(UUID.self, 0)
            let due = try row.decode(Day.self, 2)
            lastDue = max(lastDue, due)
            orderIndex[id] = orders.count
            orderIDs.append(id)
            orders.append(Scheduling.Order(
                id: id.uuidString.lowercased(), quantity: try row.decode(Int.self, 1), dueDate: due, releaseDate: try row.decode(Day.self, 3),
                maxUnitCost: try row.decode(Int64?.self, 4), regions: Set(try row.decode([String].self, 5)),
                certifications: Set(try row.decode([String].self, 6)), minLot: try row.decode(Int.self, 7),
                maxFactories: try row.decode(Int.self, 8), priority: try row.decode(Int.self, 9), pool: try row.decode(String?.self, 10)))
        }

        // The loaded orders' allocations, with their slots' ids (mapped to indices below).
        struct RawAllocation { var row: AllocationRow; var order: Int; var slotID: Int64; var units: Int; var day: Day }
        var raw: [RawAllocation] = []
        for row in try connection.query("""
            SELECT a.id, a.order_id, a.slot_id, a.units, a.status = 'confirmed', s.day
              FROM allocations a
              JOIN orders o ON o.id = a.order_id
              JOIN capacity_slots s ON s.id = a.slot_id
             WHERE o.capability = $1 AND o.status <> 'cancelled' AND o.due_date >= $2
             ORDER BY a.order_id, a.slot_id
            """, capability, asOf) {
            guard let order = orderIndex[try row.decode(UUID.self, 1)] else { continue }
            raw.append(RawAllocation(row: AllocationRow(id: try row.decode(Int64.self, 0), confirmed: try row.decode(Bool.self, 4)),
                                     order: order, slotID: try row.decode(Int64.self, 2), units: try row.decode(Int.self, 3),
                                     day: try row.decode(Day.self, 5)))
        }
        var heldInProblem: [Int64: Int] = [:]
        var poolHeldInProblem: [PoolKey: Int] = [:]
        for allocation in raw {
            heldInProblem[allocation.slotID, default: 0] += allocation.units
            if let pool = orders[allocation.order].pool { poolHeldInProblem[PoolKey(slot: allocation.slotID, pool: pool), default: 0] += allocation.units }
        }
        let earlier = Array(Set(raw.filter { $0.day < asOf }.map(\.slotID))).sorted()

        var slotIDs: [Int64] = []
        var slots: [Scheduling.Slot] = []
        var slotIndex: [Int64: Int] = [:]
        let slotRows = try connection.query("""
            SELECT s.id, s.factory_id, s.day, s.units, s.allocated, s.unit_cost
              FROM capacity_slots s
             WHERE s.capability = $1 AND ((s.day >= $2 AND s.day <= $3) OR s.id = ANY($4))
             ORDER BY s.factory_id, s.day
            """, capability, asOf, lastDue, earlier)
        slots.reserveCapacity(slotRows.count)
        slotIDs.reserveCapacity(slotRows.count)
        var previous: PostgresRow?
        var factory = -1
        for row in slotRows {
            // Rows come sorted by factory: decode its id only when it changes.
            if previous == nil || !previous!.sameValue(1, as: row) {
                let id = try row.decode(UUID.self, 1)
                guard let index = factoryIndex[id] else {
                    throw PostgresError(.decoding, "slot \(try row.decode(Int64.self, 0)) belongs to factory \(id), which does not offer \(capability)")
                }
                factory = index
            }
            previous = row
            let id = try row.decode(Int64.self, 0)
            let units = try row.decode(Int.self, 3), allocated = try row.decode(Int.self, 4)
            // Capacity held by orders outside the problem is not the problem's to use.
            let available = units - (allocated - (heldInProblem[id] ?? 0))
            slotIndex[id] = slots.count
            slotIDs.append(id)
            slots.append(Scheduling.Slot(id: String(id), factory: factory, day: try row.decode(Day.self, 2),
                                         units: max(0, available), unitCost: try row.decode(Int64.self, 5)))
        }
        // Units of pools held by orders outside the problem (due before `asOf`, in the earlier
        // slots read): batches they opened that the problem's orders of the pool may fill.
        for row in try connection.query("""
            SELECT p.slot_id, p.pool, p.units FROM slot_pool_units p
             WHERE p.capability = $1 AND ((p.day >= $2 AND p.day <= $3) OR p.slot_id = ANY($4))
            """, capability, asOf, lastDue, earlier) {
            let slotID = try row.decode(Int64.self, 0), pool = try row.decode(String.self, 1)
            guard let index = slotIndex[slotID] else { continue }
            let outside = try row.decode(Int.self, 2) - (poolHeldInProblem[PoolKey(slot: slotID, pool: pool)] ?? 0)
            if outside > 0 { slots[index].outsidePoolUnits[pool] = outside }
        }

        let frozenUntil = asOf.adding(days: freezeDays)
        var allocations: [Scheduling.Allocation] = []
        var rows: [AllocationRow] = []
        allocations.reserveCapacity(raw.count)
        rows.reserveCapacity(raw.count)
        for allocation in raw {
            guard let slot = slotIndex[allocation.slotID] else {
                throw PostgresError(.decoding, "allocation \(allocation.row.id) names slot \(allocation.slotID), which was not read")
            }
            allocations.append(Scheduling.Allocation(order: allocation.order, slot: slot, units: allocation.units,
                                                     pinned: allocation.row.confirmed || allocation.day < frozenUntil))
            rows.append(allocation.row)
        }
        let problem = Scheduling.Problem(capability: capability, asOf: asOf, factories: factories, slots: slots,
                                         orders: orders, allocations: allocations)
        return Loaded(problem: problem, factoryIDs: factoryIDs, slotIDs: slotIDs, orderIDs: orderIDs, rows: rows)
    }
}

extension ProblemRecords {
    /// Why a plan could not be written: the data it was solved on changed meanwhile. Nothing
    /// was written (the transaction rolls back); the caller may read and solve again.
    public enum WriteConflict: Error, Sendable, Equatable, CustomStringConvertible {
        /// The order was cancelled, or its allocations changed (displaced, confirmed, ...).
        case orderChanged(UUID)
        /// A slot no longer has room for the plan (an order was placed or capacity lowered).
        case capacity
        /// The (order, slot) pair stopped being eligible (factory deactivated, price raised, ...).
        case ineligible(order: UUID, slot: Int64)

        public var description: String {
            switch self {
            case .orderChanged(let id): return "order \(id.uuidString.lowercased()) changed while the run was solving"
            case .capacity: return "capacity the plan needed was taken or lowered while the run was solving"
            case .ineligible(let order, let slot): return "slot \(slot) stopped being eligible for order \(order.uuidString.lowercased()) while the run was solving"
            }
        }
    }

    /// What a write changed.
    public struct WriteSummary: Sendable, Equatable {
        public var deleted = 0
        public var updated = 0
        public var inserted = 0
        /// Orders whose allocations changed (their status was refreshed).
        public var orders = 0
    }

    /// Applies `changes` (unpinned units per (order, slot), as ``Scheduling/diff(from:to:)``
    /// gives them against `loaded.problem.allocations`) inside the caller's transaction.
    ///
    /// Touches only the orders that change, and re-checks everything that can have moved since
    /// the problem was read:
    /// 1. the orders are locked (`FOR UPDATE`, in id order, as cancelling does) and their
    ///    allocation rows too; any order cancelled or with rows other than those read is a
    ///    conflict (so stability, lots and split limits, proven on the rows read, still hold);
    /// 2. units are removed first, then added, so that a slot's CHECK only fires for real
    ///    overbooking: if an order was placed or capacity lowered meanwhile and the plan no
    ///    longer fits, `capacity_slots_not_overbooked` refuses it and that is a conflict;
    /// 3. every pair that gains units is checked against the current factory (locked
    ///    `FOR SHARE`), slot and order: eligibility must still hold.
    /// Then the orders' `allocated_units` and status are refreshed. Changed rows get `run_id`.
    public static func write(on connection: PostgresConnection, loaded: Loaded, changes: [Scheduling.PlanChange],
                             runID: UUID) throws -> WriteSummary {
        guard !changes.isEmpty else { return WriteSummary() }
        let orderIndices = Set(changes.map(\.order))
        let orderIDs = orderIndices.map { loaded.orderIDs[$0] }

        let locked = try connection.query("SELECT id, status FROM orders WHERE id = ANY($1) ORDER BY id FOR UPDATE", orderIDs)
        var open = Set<UUID>()
        for row in locked where try row.decode(String.self, 1) != "cancelled" { open.insert(try row.decode(UUID.self, 0)) }
        if let gone = orderIDs.first(where: { !open.contains($0) }) { throw WriteConflict.orderChanged(gone) }

        // The rows as read, per order, against the rows as they are now (locked).
        struct RowState: Hashable { var order: UUID; var slotID: Int64; var units: Int; var confirmed: Bool }
        var expected: [Int64: RowState] = [:]
        var rowOf: [PairKey: (id: Int64, units: Int)] = [:]
        for (index, allocation) in loaded.problem.allocations.enumerated() where orderIndices.contains(allocation.order) {
            let row = loaded.rows[index]
            expected[row.id] = RowState(order: loaded.orderIDs[allocation.order], slotID: loaded.slotIDs[allocation.slot],
                                        units: allocation.units, confirmed: row.confirmed)
            rowOf[PairKey(order: allocation.order, slot: allocation.slot)] = (row.id, allocation.units)
        }
        var current: [Int64: RowState] = [:]
        for row in try connection.query("""
            SELECT id, order_id, slot_id, units, status = 'confirmed' FROM allocations WHERE order_id = ANY($1) ORDER BY id FOR UPDATE
            """, orderIDs) {
            current[try row.decode(Int64.self, 0)] = RowState(order: try row.decode(UUID.self, 1), slotID: try row.decode(Int64.self, 2),
                                                              units: try row.decode(Int.self, 3), confirmed: try row.decode(Bool.self, 4))
        }
        if current != expected {
            let changed = current.first { expected[$0.key] != $0.value }?.value.order
                ?? expected.first { current[$0.key] == nil }?.value.order ?? orderIDs[0]
            throw WriteConflict.orderChanged(changed)
        }

        // Row operations. A row holds all units of its (order, slot), pinned ones included.
        var deletes: [Int64] = []
        var decreases: (ids: [Int64], units: [Int64]) = ([], [])
        var increases: (ids: [Int64], units: [Int64]) = ([], [])
        var inserts: (orders: [UUID], slots: [Int64], units: [Int64]) = ([], [], [])
        var gained: (orders: [UUID], slots: [Int64]) = ([], [])
        for change in changes {
            let existing = rowOf[PairKey(order: change.order, slot: change.slot)]
            let total = (existing?.units ?? 0) - change.before + change.after
            guard total >= 0, existing != nil || change.before == 0 else {
                throw PostgresError(.decoding, "plan change \(change) does not match the allocations read")
            }
            let orderID = loaded.orderIDs[change.order], slotID = loaded.slotIDs[change.slot]
            if change.after > change.before {
                gained.orders.append(orderID)
                gained.slots.append(slotID)
            }
            if let existing {
                if total == 0 {
                    deletes.append(existing.id)
                } else if total < existing.units {
                    decreases.ids.append(existing.id); decreases.units.append(Int64(total))
                } else if total > existing.units {
                    increases.ids.append(existing.id); increases.units.append(Int64(total))
                }
            } else if total > 0 {
                inserts.orders.append(orderID); inserts.slots.append(slotID); inserts.units.append(Int64(total))
            }
        }

        var summary = WriteSummary(orders: orderIDs.count)
        // Freeing first: the triggers apply each statement's deltas at once, so adding before
        // removing could overbook a slot for a moment and trip its CHECK.
        if !deletes.isEmpty {
            summary.deleted = try connection.query("DELETE FROM allocations WHERE id = ANY($1)", deletes).affectedRows
        }
        summary.updated += try setUnits(on: connection, decreases.ids, decreases.units, runID: runID)
        do {
            summary.updated += try setUnits(on: connection, increases.ids, increases.units, runID: runID)
            if !inserts.orders.isEmpty {
                summary.inserted = try connection.query("""
                    INSERT INTO allocations (order_id, slot_id, units, unit_cost, run_id)
                    SELECT t.order_id, t.slot_id, t.units, s.unit_cost, $4
                      FROM unnest($1::uuid[], $2::int8[], $3::int8[]) AS t(order_id, slot_id, units)
                      JOIN capacity_slots s ON s.id = t.slot_id
                    """, inserts.orders, inserts.slots, inserts.units, runID).affectedRows
                guard summary.inserted == inserts.orders.count else { throw WriteConflict.capacity }
            }
        } catch let error as PostgresError where error.sqlState == PostgresError.checkViolation
                    && error.constraint == "capacity_slots_not_overbooked" {
            throw WriteConflict.capacity
        }

        if !gained.orders.isEmpty {
            // The slots gaining units are locked by the triggers by now; lock their factories
            // too, so that what is checked here stays true until COMMIT.
            try connection.query("""
                SELECT 1 FROM factories WHERE id IN (SELECT factory_id FROM capacity_slots WHERE id = ANY($1)) ORDER BY id FOR SHARE
                """, gained.slots)
            if let row = try connection.query("""
                SELECT t.order_id, t.slot_id
                  FROM unnest($1::uuid[], $2::int8[]) AS t(order_id, slot_id)
                  JOIN orders o ON o.id = t.order_id
                  JOIN capacity_slots s ON s.id = t.slot_id
                  JOIN factories f ON f.id = s.factory_id
                 WHERE NOT (f.active AND s.capability = o.capability AND s.day >= o.release_date AND s.day >= $3
                            AND s.day + f.lead_days <= o.due_date
                            AND (o.max_unit_cost IS NULL OR s.unit_cost <= o.max_unit_cost)
                            AND (cardinality(o.regions) = 0 OR f.region = ANY(o.regions))
                            AND f.certifications @> o.certifications)
                 LIMIT 1
                """, gained.orders, gained.slots, loaded.problem.asOf).first {
                throw WriteConflict.ineligible(order: try row.decode(UUID.self, 0), slot: try row.decode(Int64.self, 1))
            }
        }
        try OrderRecords.refreshStatus(on: connection, ids: orderIDs, reason: nil)
        return summary
    }

    struct PairKey: Hashable { var order: Int; var slot: Int }
    struct PoolKey: Hashable { var slot: Int64; var pool: String }

    private static func setUnits(on connection: PostgresConnection, _ ids: [Int64], _ units: [Int64], runID: UUID) throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try connection.query("""
            UPDATE allocations a SET units = t.units, run_id = $3
              FROM unnest($1::int8[], $2::int8[]) AS t(id, units) WHERE a.id = t.id
            """, ids, units, runID).affectedRows
    }
}
