import Foundation
import WeftCore

/// SQL for the `orders` aggregate and its allocations.
public enum OrderRecords {
    /// An order as stored.
    public struct Order: Sendable {
        public var id: UUID
        public var brokerID: UUID
        public var capability: String
        public var quantity: Int
        public var dueDate: Day
        public var releaseDate: Day
        public var maxUnitCost: Int64?
        public var regions: [String]
        public var certifications: [String]
        public var minLot: Int
        public var maxFactories: Int
        public var priority: Int
        public var reference: String?
        public var status: String
        public var allocatedUnits: Int
        public var unscheduledReason: String?
        public var createdAt: Date
        public var updatedAt: Date
        public var cancelledAt: Date?
        /// Orders of one capability and one pool share production batches; nil = batches of its own.
        public var pool: String?

        public init(id: UUID, brokerID: UUID, capability: String, quantity: Int, dueDate: Day, releaseDate: Day,
                    maxUnitCost: Int64?, regions: [String], certifications: [String], minLot: Int, maxFactories: Int,
                    priority: Int, reference: String?, status: String, allocatedUnits: Int, unscheduledReason: String?,
                    createdAt: Date, updatedAt: Date, cancelledAt: Date?, pool: String? = nil) {
            self.id = id; self.brokerID = brokerID; self.capability = capability; self.quantity = quantity
            self.dueDate = dueDate; self.releaseDate = releaseDate; self.maxUnitCost = maxUnitCost
            self.regions = regions; self.certifications = certifications; self.minLot = minLot
            self.maxFactories = maxFactories; self.priority = priority; self.reference = reference
            self.status = status; self.allocatedUnits = allocatedUnits; self.unscheduledReason = unscheduledReason
            self.createdAt = createdAt; self.updatedAt = updatedAt; self.cancelledAt = cancelledAt
            self.pool = pool
        }
    }

    /// An allocation with the slot facts a reader wants (factory, day, capability).
    public struct Allocation: Sendable {
        public var id: Int64
        public var orderID: UUID
        public var slotID: Int64
        public var factoryID: UUID
        public var capability: String
        public var day: Day
        public var units: Int
        public var unitCost: Int64
        public var status: String
        public var runID: UUID?
        public var createdAt: Date
        public var confirmedAt: Date?

        public init(id: Int64, orderID: UUID, slotID: Int64, factoryID: UUID, capability: String, day: Day, units: Int,
                    unitCost: Int64, status: String, runID: UUID?, createdAt: Date, confirmedAt: Date?) {
            self.id = id; self.orderID = orderID; self.slotID = slotID; self.factoryID = factoryID
            self.capability = capability; self.day = day; self.units = units; self.unitCost = unitCost
            self.status = status; self.runID = runID; self.createdAt = createdAt; self.confirmedAt = confirmedAt
        }
    }

    /// New units of an order in a slot, with the slot's unit cost frozen.
    public struct NewAllocation: Sendable {
        public var slotID: Int64
        public var units: Int
        public var unitCost: Int64

        public init(slotID: Int64, units: Int, unitCost: Int64) {
            self.slotID = slotID
            self.units = units
            self.unitCost = unitCost
        }
    }

    static let orderColumns = """
        id, broker_id, capability, quantity, due_date, release_date, max_unit_cost, regions, certifications,
        min_lot, max_factories, priority, reference, status, allocated_units, unscheduled_reason, created_at, updated_at, cancelled_at, pool
        """

    static func order(_ row: PostgresRow) throws -> Order {
        Order(id: try row.decode(UUID.self, 0), brokerID: try row.decode(UUID.self, 1), capability: try row.decode(String.self, 2),
              quantity: try row.decode(Int.self, 3), dueDate: try row.decode(Day.self, 4), releaseDate: try row.decode(Day.self, 5),
              maxUnitCost: try row.decode(Int64?.self, 6), regions: try row.decode([String].self, 7),
              certifications: try row.decode([String].self, 8), minLot: try row.decode(Int.self, 9),
              maxFactories: try row.decode(Int.self, 10), priority: try row.decode(Int.self, 11),
              reference: try row.decode(String?.self, 12), status: try row.decode(String.self, 13),
              allocatedUnits: try row.decode(Int.self, 14), unscheduledReason: try row.decode(String?.self, 15),
              createdAt: try row.decode(Date.self, 16), updatedAt: try row.decode(Date.self, 17),
              cancelledAt: try row.decode(Date?.self, 18), pool: try row.decode(String?.self, 19))
    }

    static let allocationColumns = """
        a.id, a.order_id, a.slot_id, s.factory_id, s.capability, s.day, a.units, a.unit_cost, a.status, a.run_id, a.created_at, a.confirmed_at
        """

    static func allocation(_ row: PostgresRow) throws -> Allocation {
        Allocation(id: try row.decode(Int64.self, 0), orderID: try row.decode(UUID.self, 1), slotID: try row.decode(Int64.self, 2),
                   factoryID: try row.decode(UUID.self, 3), capability: try row.decode(String.self, 4), day: try row.decode(Day.self, 5),
                   units: try row.decode(Int.self, 6), unitCost: try row.decode(Int64.self, 7), status: try row.decode(String.self, 8),
                   runID: try row.decode(UUID?.self, 9), createdAt: try row.decode(Date.self, 10), confirmedAt: try row.decode(Date?.self, 11))
    }

    /// Inserts allocations in one statement; the triggers add their units to the slots, and
    /// the slots' CHECK refuses the whole statement if any slot would be overbooked. Returns
    /// the id and creation time of each row written, by slot.
    @discardableResult
    public static func insertAllocations(on connection: PostgresConnection, orderID: UUID, _ allocations: [NewAllocation],
                                         runID: UUID? = nil) throws -> [Int64: (id: Int64, createdAt: Date)] {
        guard !allocations.isEmpty else { return [:] }
        var written: [Int64: (id: Int64, createdAt: Date)] = [:]
        for row in try connection.query("""
            INSERT INTO allocations (order_id, slot_id, units, unit_cost, run_id)
            SELECT $1, slot_id, units, unit_cost, $5 FROM unnest($2::int8[], $3::int8[], $4::int8[]) AS t(slot_id, units, unit_cost)
            ON CONFLICT (order_id, slot_id) DO UPDATE SET units = allocations.units + excluded.units
            RETURNING slot_id, id, created_at
            """, orderID, allocations.map(\.slotID), allocations.map { Int64($0.units) }, allocations.map(\.unitCost), runID) {
            written[try row.decode(Int64.self, 0)] = (try row.decode(Int64.self, 1), try row.decode(Date.self, 2))
        }
        return written
    }

    /// One order, optionally locked for update.
    public static func find(on connection: PostgresConnection, id: UUID, forUpdate: Bool = false) throws -> Order? {
        try connection.query("SELECT \(orderColumns) FROM orders WHERE id = $1\(forUpdate ? " FOR UPDATE" : "")", id).first.map(order)
    }

    /// The allocations of the given orders, by order then day.
    public static func allocations(on connection: PostgresConnection, orderIDs: [UUID]) throws -> [Allocation] {
        guard !orderIDs.isEmpty else { return [] }
        return try connection.query(allocationsSQL, orderIDs).map(allocation)
    }

    static let allocationsSQL = """
        SELECT \(allocationColumns) FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
        WHERE a.order_id = ANY($1) ORDER BY a.order_id, s.day, s.factory_id, a.id
        """

    /// Filters for listing orders.
    public struct ListFilter: Sendable {
        public var brokerID: UUID?
        public var statuses: [String]
        public var capability: String?
        public var after: (createdAt: Date, id: UUID)?
        public var limit: Int

        public init(brokerID: UUID?, statuses: [String], capability: String?, after: (createdAt: Date, id: UUID)?, limit: Int) {
            self.brokerID = brokerID; self.statuses = statuses; self.capability = capability; self.after = after; self.limit = limit
        }
    }

    /// A page of orders in creation order; one more than `limit` is fetched to know if more follow.
    public static func list(on connection: PostgresConnection, _ filter: ListFilter) throws -> [Order] {
        try connection.query("""
            SELECT \(orderColumns) FROM orders
            WHERE ($1::uuid IS NULL OR broker_id = $1)
              AND (cardinality($2::text[]) = 0 OR status = ANY($2))
              AND ($3::text IS NULL OR capability = $3)
              AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5::uuid))
            ORDER BY created_at, id
            LIMIT $6
            """, filter.brokerID, filter.statuses, filter.capability, filter.after?.createdAt, filter.after?.id, filter.limit + 1).map(order)
    }

    /// Marks an order cancelled and deletes its allocations, which frees their capacity at once.
    /// Returns the order as it is afterwards; cancelling a cancelled order changes nothing.
    public static func cancel(on connection: PostgresConnection, id: UUID) throws -> Order? {
        guard let current = try find(on: connection, id: id, forUpdate: true) else { return nil }
        guard current.status != "cancelled" else { return current }
        try connection.query("DELETE FROM allocations WHERE order_id = $1", id)
        return try order(connection.query("""
            UPDATE orders SET status = 'cancelled', allocated_units = 0, cancelled_at = now(), updated_at = now()
            WHERE id = $1 RETURNING \(orderColumns)
            """, id)[0])
    }

    /// Recomputes `allocated_units` and `status` (``OrderStatus``) from the allocations
    /// (after displacement or a run); an order that is short keeps its reason unless `reason`
    /// gives a new one. The orders are locked first (in id order) and their allocations summed
    /// after that, so the sum includes every change committed by an earlier holder of the lock.
    public static func refreshStatus(on connection: PostgresConnection, ids: [UUID], reason: String?) throws {
        guard !ids.isEmpty else { return }
        var quantities: [UUID: Int] = [:]
        for row in try connection.query("""
            SELECT id, quantity FROM orders WHERE id = ANY($1) AND status <> 'cancelled' ORDER BY id FOR UPDATE
            """, ids) {
            quantities[try row.decode(UUID.self, 0)] = try row.decode(Int.self, 1)
        }
        guard !quantities.isEmpty else { return }
        var units: [UUID: Int] = [:]
        for row in try connection.query("""
            SELECT order_id, sum(units)::int8 FROM allocations WHERE order_id = ANY($1) GROUP BY order_id
            """, Array(quantities.keys)) {
            units[try row.decode(UUID.self, 0)] = try row.decode(Int.self, 1)
        }
        let refreshed = quantities.map { id, quantity in
            (id: id, units: units[id] ?? 0, status: OrderStatus.of(allocated: units[id] ?? 0, quantity: quantity))
        }
        try connection.query("""
            UPDATE orders o SET allocated_units = t.units, status = t.status,
                   unscheduled_reason = CASE WHEN t.status = 'scheduled' THEN NULL ELSE coalesce($4, o.unscheduled_reason) END,
                   updated_at = now()
              FROM unnest($1::uuid[], $2::int8[], $3::text[]) AS t(id, units, status)
             WHERE o.id = t.id
            """, refreshed.map(\.id), refreshed.map { Int64($0.units) }, refreshed.map(\.status), reason)
    }
}

extension OrderRecords {
    /// A page of a factory's allocations with production days in a range, by (day, id),
    /// strictly after `after`; one more than `limit` is fetched to know whether more follow.
    public static func allocations(on connection: PostgresConnection, factoryID: UUID, from: Day, to: Day,
                                   after: (day: Day, id: Int64)? = nil, limit: Int) throws -> [Allocation] {
        try connection.query("""
            SELECT \(allocationColumns) FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id
            WHERE s.factory_id = $1 AND s.day BETWEEN $2 AND $3
              AND ($4::date IS NULL OR (s.day, a.id) > ($4, $5::bigint))
            ORDER BY s.day, a.id
            LIMIT $6
            """, factoryID, from, to, after?.day, after?.id, limit + 1).map(allocation)
    }

    /// One allocation by id.
    public static func allocation(on connection: PostgresConnection, id: Int64) throws -> Allocation? {
        try connection.query("SELECT \(allocationColumns) FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id WHERE a.id = $1", id)
            .first.map(allocation)
    }

    /// Pins an allocation: runs never move confirmed work. Confirming twice changes nothing.
    public static func confirm(on connection: PostgresConnection, id: Int64) throws {
        try connection.query("UPDATE allocations SET status = 'confirmed', confirmed_at = now() WHERE id = $1 AND status <> 'confirmed'", id)
    }
}
