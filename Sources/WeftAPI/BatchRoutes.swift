import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// `GET /v1/factories/{id}/batches`: the batches a factory is to make, per day, capability and
/// pool group (a pool, or one order without a pool), with their fill and the orders in each.
/// For admins and that factory's own key; orders appear by id only (never broker data).
struct BatchRoutes {
    let context: AppContext

    func register(on builder: inout RouterBuilder) {
        builder.on(.GET, "/v1/factories/{id}/batches") { try await list($0) }
    }

    private func list(_ request: Request) async throws -> Response {
        let factoryID = try request.accessibleFactoryID()
        let (capability, from, to) = try Self.query(request, defaultDays: 30)
        let groups = try await context.pool.withConnection { connection -> [BatchRecords.Group]? in
            guard try connection.query("SELECT 1 FROM factories WHERE id = $1", factoryID).first != nil else { return nil }
            return try BatchRecords.groups(on: connection, factoryID: factoryID, capability: capability, from: from, to: to)
        }
        guard let groups else { throw notFound("factory", factoryID.lowercasedString) }
        return try Response.json(FactoryBatchesDTO(factoryId: factoryID.lowercasedString, capability: capability, from: from, to: to,
                                                   batches: groups.map(BatchDTO.init)))
    }
}

extension BatchRoutes {
    /// `capability`, `from` and `to` of a batches query (the API route and the dashboard page):
    /// without `from`, today (or `to` when that is earlier: a look back at one day); without
    /// `to`, `defaultDays` after `from`; a range of at most ``AllocationRoutes/maxRangeDays``.
    static func query(_ request: Request, defaultDays: Int) throws -> (capability: String?, from: Day, to: Day) {
        try request.queryInput { reader in
            let capability = reader.capability("capability")
            let range = reader.dateRange()
            let from = range.from ?? range.to.map { min(Day.today, $0) } ?? Day.today
            let to = range.to ?? min(from.adding(days: defaultDays), CapacityRoutes.lastDay)
            if to.ordinal - from.ordinal >= AllocationRoutes.maxRangeDays {
                reader.report("to", "must be less than \(AllocationRoutes.maxRangeDays) days after from")
            }
            return (capability?.code, from, to)
        }
    }
}

/// One pool group's batches in one slot.
struct BatchDTO: Encodable, Sendable {
    struct Member: Encodable, Sendable {
        var orderId: String
        var units: Int
    }
    var capability: String
    var date: Day
    var pool: String?
    var units: Int
    var batches: Int
    var batchUnits: Int?
    var batchCost: Int64
    /// batches × batch_cost.
    var cost: Int64
    /// units ÷ (batches × batch_units), 0...1; nil when batches are unlimited.
    var fill: Double?
    var orders: [Member]

    init(_ group: BatchRecords.Group) {
        capability = group.capability
        date = group.day
        pool = group.pool
        units = group.units
        batches = Scheduling.batchCount(units: units, batchUnits: group.batchUnits)
        batchUnits = group.batchUnits
        batchCost = group.batchCost
        cost = Int64(batches) * group.batchCost
        fill = batchFill(units: units, batches: batches, batchUnits: group.batchUnits)
        orders = group.orders.map { Member(orderId: $0.id.lowercasedString, units: $0.units) }
    }

    enum CodingKeys: String, CodingKey {
        case capability, date, pool, units, batches, batchUnits = "batch_units", batchCost = "batch_cost", cost, fill, orders
    }

    // Explicit nulls: `pool`, `batch_units` and `fill` are always present.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(capability, forKey: .capability)
        try container.encode(date, forKey: .date)
        try container.encode(pool, forKey: .pool)
        try container.encode(units, forKey: .units)
        try container.encode(batches, forKey: .batches)
        try container.encode(batchUnits, forKey: .batchUnits)
        try container.encode(batchCost, forKey: .batchCost)
        try container.encode(cost, forKey: .cost)
        try container.encode(fill, forKey: .fill)
        try container.encode(orders, forKey: .orders)
    }
}

/// A batch's fill: units ÷ (batches × batch_units), rounded to 4 places; nil when batches are
/// unlimited (or there are none).
func batchFill(units: Int, batches: Int, batchUnits: Int?) -> Double? {
    guard let batchUnits, batches > 0 else { return nil }
    return (Double(units) / Double(batches * batchUnits) * 10_000).rounded() / 10_000
}

struct FactoryBatchesDTO: Encodable, Sendable {
    var factoryId: String
    var capability: String?
    var from: Day
    var to: Day
    var batches: [BatchDTO]
}
