import Foundation
import WeftCore

/// An order's own cost, the one figure every route answers with (`GET /v1/orders/{id}`, the
/// list, `POST /v1/orders`, `POST /v1/quotes`): its units × their frozen unit costs, the setup
/// cost of each factory it uses, and its share of every batch it is in, split among the
/// batch's orders in proportion to units by core's ``Scheduling/orderCosts(_:plan:)``.
///
/// Members of a batch are taken in creation order (then id), so the rounding remainder of a
/// split goes to the same order whichever route computes it; a new order (placed or quoted) is
/// the latest.
public enum OrderCostRecords {
    /// One allocation taking part in the cost of the orders asked about: theirs, and those of
    /// the other orders in their batches.
    public struct Line: Sendable {
        public var orderID: UUID
        public var createdAt: Date
        public var pool: String?
        public var slotID: Int64
        public var factoryID: UUID
        public var capability: String
        public var day: Day
        public var units: Int
        /// The allocation's frozen unit cost.
        public var unitCost: Int64
        /// The factory's current terms for the capability.
        public var setupCost: Int64
        public var batchCost: Int64
        public var batchUnits: Int?

        public init(orderID: UUID, createdAt: Date, pool: String?, slotID: Int64, factoryID: UUID, capability: String, day: Day,
                    units: Int, unitCost: Int64, setupCost: Int64, batchCost: Int64, batchUnits: Int?) {
            self.orderID = orderID; self.createdAt = createdAt; self.pool = pool; self.slotID = slotID; self.factoryID = factoryID
            self.capability = capability; self.day = day; self.units = units; self.unitCost = unitCost; self.setupCost = setupCost
            self.batchCost = batchCost; self.batchUnits = batchUnits
        }
    }

    /// The cost of each of `targets` from their lines and their batch partners' lines (a line
    /// repeated for the same order and slot counts once).
    public static func compute(targets: Set<UUID>, lines: [Line]) -> [UUID: Int64] {
        var seen = Set<PairKey>()
        let unique = lines.filter { seen.insert(PairKey(order: $0.orderID, slot: $0.slotID)).inserted }
        var firstSeen: [UUID: Line] = [:]
        for line in unique where firstSeen[line.orderID] == nil { firstSeen[line.orderID] = line }
        let orderIDs = firstSeen.values.sorted { ($0.createdAt, $0.orderID.uuidString) < ($1.createdAt, $1.orderID.uuidString) }.map(\.orderID)
        let orderIndex = Dictionary(uniqueKeysWithValues: orderIDs.enumerated().map { ($1, $0) })
        var factories: [Scheduling.Factory] = []
        var factoryIndex: [FactoryKey: Int] = [:]
        var slots: [Scheduling.Slot] = []
        var slotIndex: [Int64: Int] = [:]
        var plan: [Scheduling.Allocation] = []
        var frozen: [UUID: Int64] = [:]
        for line in unique {
            let key = FactoryKey(factory: line.factoryID, capability: line.capability)
            let f = factoryIndex[key] ?? {
                factories.append(Scheduling.Factory(id: line.factoryID.uuidString.lowercased(), region: "", setupCost: line.setupCost,
                                                    batchCost: line.batchCost, batchUnits: line.batchUnits))
                factoryIndex[key] = factories.count - 1
                return factories.count - 1
            }()
            let s = slotIndex[line.slotID] ?? {
                slots.append(Scheduling.Slot(id: String(line.slotID), factory: f, day: line.day, units: 0, unitCost: line.unitCost))
                slotIndex[line.slotID] = slots.count - 1
                return slots.count - 1
            }()
            plan.append(Scheduling.Allocation(order: orderIndex[line.orderID]!, slot: s, units: line.units))
            if targets.contains(line.orderID) { frozen[line.orderID, default: 0] += Int64(line.units) * line.unitCost }
        }
        let orders = orderIDs.map { id in
            Scheduling.Order(id: id.uuidString.lowercased(), quantity: 1, dueDate: firstSeen[id]!.day, releaseDate: firstSeen[id]!.day,
                             pool: firstSeen[id]!.pool)
        }
        let problem = Scheduling.Problem(capability: "", asOf: firstSeen.values.first?.day ?? Day(year: 2000, month: 1, day: 1)!,
                                         factories: factories, slots: slots, orders: orders, allocations: [])
        let costs = Scheduling.orderCosts(problem, plan: plan)
        var result: [UUID: Int64] = [:]
        for id in targets {
            guard let index = orderIndex[id] else { result[id] = 0; continue }
            // Units at their frozen unit costs (a slot repriced since does not reprice them).
            result[id] = (frozen[id] ?? 0) + costs[index].setup + costs[index].batch
        }
        return result
    }

    struct PairKey: Hashable { var order: UUID; var slot: Int64 }
    struct FactoryKey: Hashable { var factory: UUID; var capability: String }

    static let lineColumns = """
        o.created_at, o.pool, a.slot_id, s.factory_id, s.capability, s.day, a.units, a.unit_cost, fc.setup_cost, fc.batch_cost, fc.batch_units
        """

    public static func line(_ row: PostgresRow) throws -> Line {
        Line(orderID: try row.decode(UUID.self, 0), createdAt: try row.decode(Date.self, 1), pool: try row.decode(String?.self, 2),
             slotID: try row.decode(Int64.self, 3), factoryID: try row.decode(UUID.self, 4), capability: try row.decode(String.self, 5),
             day: try row.decode(Day.self, 6), units: try row.decode(Int.self, 7), unitCost: try row.decode(Int64.self, 8),
             setupCost: try row.decode(Int64.self, 9), batchCost: try row.decode(Int64.self, 10), batchUnits: try row.decode(Int?.self, 11))
    }

    /// The given orders' allocations and those of the other orders of their pools in the same
    /// slots where the factory charges for batches.
    public static func lines(on connection: PostgresConnection, orderIDs: [UUID]) throws -> [Line] {
        guard !orderIDs.isEmpty else { return [] }
        return try connection.query(linesSQL, orderIDs).map(line)
    }

    static let linesSQL = """
        SELECT a.order_id, \(lineColumns)
          FROM allocations a JOIN orders o ON o.id = a.order_id JOIN capacity_slots s ON s.id = a.slot_id
          JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
         WHERE a.order_id = ANY($1)
        UNION ALL
        SELECT m.order_id, mo.created_at, mo.pool, m.slot_id, s.factory_id, s.capability, s.day, m.units, m.unit_cost,
               fc.setup_cost, fc.batch_cost, fc.batch_units
          FROM allocations a JOIN orders o ON o.id = a.order_id JOIN capacity_slots s ON s.id = a.slot_id
          JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
          JOIN allocations m ON m.slot_id = a.slot_id AND m.order_id <> a.order_id
          JOIN orders mo ON mo.id = m.order_id AND mo.pool = o.pool
         WHERE a.order_id = ANY($1) AND o.pool IS NOT NULL AND fc.batch_cost > 0 AND m.order_id <> ALL($1)
        """

    /// The cost of each given order now.
    public static func costs(on connection: PostgresConnection, orderIDs: [UUID]) throws -> [UUID: Int64] {
        compute(targets: Set(orderIDs), lines: try lines(on: connection, orderIDs: orderIDs))
    }

    /// The lines of the other orders of `pool` in the given slots (by default only where the
    /// factory charges for batches), for the cost of a plan not yet read back: a new order or
    /// a quote.
    public static func partners(on connection: PostgresConnection, slotIDs: [Int64], pool: String, excluding orderID: UUID,
                                onlyBatchCost: Bool = true) throws -> [Line] {
        guard !slotIDs.isEmpty else { return [] }
        let statement = partnersStatement(slotIDs: slotIDs, pool: pool, excluding: orderID, onlyBatchCost: onlyBatchCost)
        return try connection.query(statement.sql, binds: statement.binds).map(line)
    }

    /// ``partners(on:slotIDs:pool:excluding:onlyBatchCost:)``'s statement, for a pipeline; each
    /// row of its result is a ``line(_:)``.
    ///
    /// Each allocation in the slots looks its order up by primary key (the `OFFSET 0` keeps the
    /// planner from turning that into a join): with `orders` not yet analyzed, or `o.pool = $2`
    /// misjudged, the plain join was planned as a sequential scan of every order for each new
    /// pooled order (1.8 ms of PostgreSQL's time per order after 5,000 orders in
    /// `WEFT_POOLS=1 PG_STATS=1 benchmarks/order-load.sh`, growing with the table).
    public static func partnersStatement(slotIDs: [Int64], pool: String, excluding orderID: UUID,
                                         onlyBatchCost: Bool = true) -> PostgresConnection.Statement {
        PostgresConnection.Statement("""
            SELECT a.order_id, \(lineColumns)
              FROM allocations a
              CROSS JOIN LATERAL (SELECT o.created_at, o.pool FROM orders o WHERE o.id = a.order_id OFFSET 0) o
              JOIN capacity_slots s ON s.id = a.slot_id
              JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
             WHERE a.slot_id = ANY($1) AND o.pool = $2 AND a.order_id <> $3 AND (NOT $4 OR fc.batch_cost > 0)
            """, slotIDs, pool, orderID, onlyBatchCost)
    }
}
