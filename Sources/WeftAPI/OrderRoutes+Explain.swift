import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// Why an order is placed as it is: each candidate factory, used or not, and the first reason.
struct ExplainDTO: Codable, Sendable {
    struct Candidate: Codable, Sendable {
        var factoryId: String
        var name: String
        var region: String
        var used: Bool
        var units: Int
        var reason: String?
        var eligibleSlots: Int
        var freeUnits: Int
    }
    var orderId: String
    var status: String
    var quantity: Int
    var allocatedUnits: Int
    var asOf: Day
    var candidates: [Candidate]
    var shortfall: ShortfallDTO?
    /// For an order with a pool: the batches it joined and the open ones it did not, and why.
    var pooling: PoolExplainDTO?
}

extension OrderRoutes {
    /// `GET /v1/orders/{id}/explain`.
    func explain(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let id = try request.entityID(of: "order")
        let asOf = Day.today
        let dto = try await context.pool.withConnection { connection -> ExplainDTO? in
            guard let order = try OrderRecords.find(on: connection, id: id), principal.mayAccess(broker: order.brokerID) else { return nil }
            var candidates = try CandidateRecords.all(on: connection, capability: order.capability, from: order.releaseDate,
                                                      to: order.dueDate.adding(days: OrderPlacer.adviceHorizonDays))
            let index = Dictionary(uniqueKeysWithValues: candidates.slotIDs.enumerated().map { ($1, $0) })
            let allocations = try OrderRecords.allocations(on: connection, orderIDs: [id])
            let own = allocations.compactMap { allocation in
                index[allocation.slotID].map { Scheduling.SlotUnits(slot: $0, units: allocation.units) }
            }
            let model = OrderPlacer.model(order)
            // Batches of its pool that other orders opened: placement may fill them.
            try OrderPlacer.addPoolUnits(on: connection, order: model, capability: order.capability, asOf: asOf, to: &candidates, own: allocations)
            let pooling = try Self.explainPool(on: connection, order: order, model: model, asOf: asOf, candidates: candidates, own: allocations)
            let explanations = Scheduling.explain(order: model, asOf: asOf, factories: candidates.factories,
                                                  slots: candidates.slots, free: candidates.free, allocations: own)
            var names: [UUID: String] = [:]
            for row in try connection.query("SELECT id, name FROM factories WHERE id = ANY($1)", candidates.factoryIDs) {
                names[try row.decode(UUID.self, 0)] = try row.decode(String.self, 1)
            }
            var shortfall: Scheduling.Shortfall?
            if order.status != "cancelled", order.allocatedUnits < order.quantity {
                shortfall = Scheduling.place(order: model, asOf: asOf, factories: candidates.factories, slots: candidates.slots,
                                             free: candidates.free, existing: own, advise: true).shortfall
            }
            return ExplainDTO(
                orderId: id.lowercasedString, status: order.status, quantity: order.quantity, allocatedUnits: order.allocatedUnits,
                asOf: asOf,
                candidates: explanations.map { item in
                    let factoryID = candidates.factoryIDs[item.factory]
                    return ExplainDTO.Candidate(
                        factoryId: factoryID.lowercasedString, name: names[factoryID] ?? "", region: candidates.factories[item.factory].region,
                        used: item.used, units: item.units, reason: item.reason?.rawValue,
                        eligibleSlots: item.eligibleSlots, freeUnits: item.freeUnits)
                }.sorted { ($0.used ? 0 : 1, $0.name) < ($1.used ? 0 : 1, $1.name) },
                shortfall: shortfall.map(ShortfallDTO.init), pooling: pooling)
        }
        guard let dto else { throw notFound("order", id.lowercasedString) }
        return try Response.json(dto)
    }
}
