import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// `PUT /v1/factories/{id}/capacity` (upsert many slots, all or nothing) and
/// `GET /v1/factories/{id}/capacity` (slots with allocated and free), for admins and that
/// factory's own key.
struct CapacityRoutes {
    let context: AppContext

    /// Longest range one read returns, in days (from and to included): a year of slots for
    /// every capability stays a response of a few megabytes at most.
    static let maxRangeDays = 366

    /// The last day a slot can have (dates are `YYYY-MM-DD`).
    static let lastDay = Day(year: 9999, month: 12, day: 31)!

    func register(on builder: inout RouterBuilder) {
        builder.put("/v1/factories/{id}/capacity") { request in try await upsert(request) }
        builder.get("/v1/factories/{id}/capacity") { request in try await read(request) }
    }

    struct UpsertResult: Encodable, Sendable {
        /// Slots now as requested: all of them.
        var upserted: Int
        var created: Int
        var updated: Int
        var unchanged: Int
        /// Orders whose allocations `?displace=true` released, and how they were re-placed.
        var displacedOrders: [DisplacedOrderDTO]
    }

    private func upsert(_ request: Request) async throws -> Response {
        let id = try request.accessibleFactoryID()
        let displace = try request.queryInput { $0.bool("displace") } ?? false
        let slots = try request.input(CapacityUpsert.self).slots
        let counts: CapacityRecords.UpsertCounts
        let displaced: [DisplacedOrderDTO]
        do {
            (counts, displaced) = try await context.pool.transaction { connection in
                // Displacement first frees what no longer fits, then the new units are written,
                // then the orders hit are re-placed: one transaction, all or nothing.
                let released = displace ? try Displacement.release(on: connection, factoryID: id, slots: slots) : [:]
                let counts = try CapacityRecords.upsert(on: connection, factoryID: id, slots: slots)
                return (counts, try Displacement.replace(on: connection, released: released, asOf: Day.today))
            }
        } catch let refusal as CapacityRecords.Refusal {
            switch refusal {
            case .factoryNotFound:
                throw notFound("factory", request.parameters["id"] ?? "")
            case .notOffered(let indexes, let offered):
                throw notOfferedError(indexes: indexes, slots: slots, offered: offered, factoryID: id)
            case .belowAllocated(let overbookings):
                return CapacityConflict(overbookings: overbookings).response(requestID: request.requestID)
            }
        }
        return try Response.json(UpsertResult(upserted: slots.count, created: counts.created, updated: counts.updated,
                                              unchanged: counts.unchanged, displacedOrders: displaced))
    }

    private func notOfferedError(indexes: [Int], slots: [CapacitySlotInput], offered: [String], factoryID: UUID) -> HTTPError {
        let offers = offered.isEmpty ? "it offers none yet" : "it offers \(offered.map { "'\($0)'" }.joined(separator: ", "))"
        let issues = indexes.map { index in
            FieldIssue(field: "slots[\(index)].capability",
                       message: "'\(slots[index].capability.code)' is not a capability of this factory (\(offers)); add it with PATCH /v1/factories/\(factoryID.uuidString.lowercased()) first")
        }
        var error = ValidationFailure(capping: issues).httpError
        error.detail = "\(indexes.count) slot\(indexes.count == 1 ? " names a capability" : "s name capabilities") this factory does not offer; nothing was written."
        return error
    }

    private func read(_ request: Request) async throws -> Response {
        let id = try request.accessibleFactoryID()
        let query = try request.queryInput { reader in
            let capability = reader.capability("capability")
            let range = reader.dateRange()
            let from = range.from ?? Day.today
            let to = range.to ?? min(from.adding(days: Self.maxRangeDays - 1), Self.lastDay)
            if range.from == nil, let given = range.to, given < from {
                reader.report("to", "must be on or after from, which defaults to today (\(from.iso)); give from as well")
            } else if to.ordinal - from.ordinal >= Self.maxRangeDays {
                reader.report("to", "must be at most \(Self.maxRangeDays) days from \(from.iso) (\(from.adding(days: Self.maxRangeDays - 1).iso) at the latest); read longer periods in several requests")
            }
            return (capability: capability?.code, from: from, to: to)
        }
        let slots = try await context.pool.withConnection { connection in
            try CapacityRecords.list(on: connection, factoryID: id, capability: query.capability, from: query.from, to: query.to)
        }
        if slots.isEmpty {
            // An empty answer must not hide that the factory itself does not exist.
            let exists = try await context.pool.withConnection { connection in
                try FactoryRecords.find(on: connection, id: id) != nil
            }
            guard exists else { throw notFound("factory", request.parameters["id"] ?? "") }
        }
        return Self.slotsResponse(factoryID: id, from: query.from, to: query.to, slots: slots)
    }


    /// `{"factory_id","from","slots":[...],"to"}`, written by hand: this is the hot read path
    /// (10,000 slots within 200 ms) and JSONEncoder costs more than the query. Safe without
    /// escaping, since capabilities match `^[a-z][a-z0-9]*(\.[a-z0-9]+)*$` (a CHECK in the
    /// schema) and the other values are numbers, dates and a UUID.
    static func slotsResponse(factoryID: UUID, from: Day, to: Day, slots: [CapacityRecords.Slot]) -> Response {
        var out = ""
        out.reserveCapacity(128 + slots.count * 110)
        out += "{\"factory_id\":\"\(factoryID.uuidString.lowercased())\",\"from\":\"\(from.iso)\",\"slots\":["
        for (index, slot) in slots.enumerated() {
            if index > 0 { out += "," }
            out += "{\"allocated\":\(slot.allocated),\"capability\":\"\(slot.capability)\",\"date\":\"\(slot.day.iso)\","
            out += "\"free\":\(slot.units - slot.allocated),\"unit_cost\":\(slot.unitCost),\"units\":\(slot.units)}"
        }
        out += "],\"to\":\"\(to.iso)\"}"
        return Response(headers: ["Content-Type": "application/json; charset=utf-8"], body: Array(out.utf8))
    }
}
