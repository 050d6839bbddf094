import Foundation
import WeftCore
import WeftHTTP
import WeftStore

extension OrderBooking {
    /// `POST /v1/quotes`: the plan from the placement cache, confirmed by reading the
    /// capability's generation and the planned slots' free units (no locks, nothing written).
    /// When both still hold, the plan is the one a submission would get now: the held figures
    /// are never below the truth, so a plan that fits the truth is the best the truth allows.
    /// Otherwise the figures read are taken in and the quote is made again; after a few tries,
    /// from the database directly.
    func quote(_ input: OrderInput, releaseDate: Day, asOf: Day) async throws -> QuoteDTO {
        let capability = input.capability.code
        let model = OrderPlacer.model(input, id: UUID(), releaseDate: releaseDate)
        let id = UUID(uuidString: model.id)!
        for _ in 0..<Self.optimisticRounds {
            let (snapshot, free) = try await view(capability, asOf: asOf)
            let poolUnits = try await poolUnits(of: model, capability: capability, asOf: asOf)
            let planned = Self.plan(model, asOf: asOf, snapshot: snapshot, free: free, poolUnits: poolUnits)
            let slotIDs = planned.allocations.map(\.slotID)
            let placed = planned.placed(in: snapshot)
            let (current, partners) = try await context.pool.withConnection { connection in
                (try CandidateRecords.freeUnits(on: connection, capability: capability, slotIDs: slotIDs),
                 try Self.partners(on: connection, pool: input.pool, id: id, placed: placed))
            }
            context.placements.observed(capability, planned: snapshot.generation, current: current.generation,
                                        free: current.free, slotIDs: slotIDs)
            if current.generation == snapshot.generation,
               planned.allocations.allSatisfy({ (current.free[$0.slotID] ?? 0) >= $0.units }) {
                let all = snapshot.candidates
                return QuoteDTO(input: input, releaseDate: releaseDate, asOf: asOf, placement: planned.placement,
                                cost: Self.cost(of: id, createdAt: Date(), pool: input.pool, capability: capability, placed: placed, partners: partners),
                                shortfall: planned.shortfall,
                                allocations: zip(planned.allocations, planned.slots).map { new, slot in
                                    AllocationDTO(factoryID: all.factoryIDs[all.slots[slot].factory], capability: capability,
                                                  date: all.slots[slot].day, units: new.units, unitCost: new.unitCost, status: "quoted")
                                })
            }
        }
        return try await context.pool.withConnection { connection -> QuoteDTO in
            let plan = try OrderPlacer.plan(on: connection, order: model, capability: capability, asOf: asOf, lock: false)
            let shortfall = try OrderPlacer.shortfall(on: connection, plan: plan, capability: capability, asOf: asOf)
            let partners = try Self.partners(on: connection, pool: input.pool, id: id, placed: plan.placed)
            return QuoteDTO(input: input, releaseDate: releaseDate, asOf: asOf, placement: plan.placement,
                            cost: Self.cost(of: id, createdAt: Date(), pool: input.pool, capability: capability, placed: plan.placed, partners: partners),
                            shortfall: shortfall,
                            allocations: plan.allocations.indices.map { index in
                                AllocationDTO(factoryID: plan.factoryIDs[index], capability: capability, date: plan.days[index],
                                              units: plan.allocations[index].units, unitCost: plan.allocations[index].unitCost, status: "quoted")
                            })
        }
    }
}

