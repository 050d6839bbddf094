import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// `POST /v1/orders`' placement: plan from the process's ``PlacementCache`` and book with one
/// statement that refuses if the plan went stale (see ``OrderRecords/book(on:_:_:generation:)``);
/// after a refusal, plan again from what the refusal reported. Nothing is read per order but
/// the Idempotency-Key record, so most of an order's cost is its one write. When many
/// requests fight over the last units of a few slots, refusals can repeat; after a few the
/// order is placed the pessimistic way instead (``OrderPlacer``: lock the slots, wait, read
/// fresh), which always makes progress.
struct OrderBooking {
    let context: AppContext
    /// Optimistic rounds before falling back to placement under locks.
    static let optimisticRounds = 4
    /// Plans made again within a round when the held pool units grew while planning.
    static let poolReplans = 2

    /// What the client gets: status, JSON body, and whether it is a replay.
    typealias Answer = (status: Int, body: [UInt8], replayed: Bool)

    private enum Round: Sendable {
        case booked(Answer, freeAfter: [Int64: Int], poolUnits: [BatchRecords.PoolUnits])
        case replayed(Answer)
        case refused(generation: Int64, free: [Int64: Int], poolUnits: [BatchRecords.PoolUnits]?)
    }

    struct Submission: Sendable {
        var input: OrderInput
        var brokerID: UUID
        var releaseDate: Day
        var asOf: Day
        var idempotency: (tenant: String, key: String, requestHash: [UInt8])?
    }

    func submit(_ submission: Submission) async throws -> Answer {
        let input = submission.input
        let capability = input.capability.code
        let asOf = submission.asOf
        let id = UUID()
        let model = OrderPlacer.model(input, id: id, releaseDate: submission.releaseDate)
        for _ in 0..<Self.optimisticRounds {
            let (snapshot, free) = try await view(capability, asOf: asOf)
            var pool = try await heldPoolUnits(of: model, capability: capability, asOf: asOf, generation: snapshot.generation)
            var draft = Self.plan(model, asOf: asOf, snapshot: snapshot, free: free, poolUnits: pool?.units ?? [:])
            // Bookings of this process into the pool that landed while this one planned are
            // already held: plan again with them rather than be refused for them.
            for _ in 0..<Self.poolReplans {
                guard let name = model.pool, let held = pool, let check = Self.poolCheck(model, asOf: asOf, held: held),
                      let now = context.placements.poolUnits(capability, pool: name, generation: snapshot.generation),
                      now.sum(from: check.from, to: check.to) != check.units else { break }
                pool = now
                draft = Self.plan(model, asOf: asOf, snapshot: snapshot, free: free, poolUnits: now.units)
            }
            let planned = draft
            let order = Self.order(submission, id: id, served: planned.placement.servedUnits, shortfall: planned.shortfall)
            let idempotency = submission.idempotency, ttl = context.configuration.idempotencyTTLSeconds
            // Without an Idempotency-Key the booking is one statement, atomic by itself: no BEGIN
            // and COMMIT (two round trips fewer; the slots stay locked for the statement only).
            // A pooled order's batch partners and its pool's units in its slots are read in the
            // same round trip (``bookReadingPartners(on:_:_:generation:poolCheck:placed:)``).
            let single = idempotency == nil
            let placed = planned.placed(in: snapshot)
            let check = pool.flatMap { Self.poolCheck(model, asOf: asOf, held: $0) }
            let outcome = try await context.pool.transaction(singleStatement: single) { connection -> Round in
                if let idempotency, let replay = try Self.replay(on: connection, idempotency) {
                    return .replayed(replay)
                }
                let (booking, partners, poolUnits) = try Self.bookReadingPartners(on: connection, order, planned.allocations,
                                                                                  generation: snapshot.generation, poolCheck: check,
                                                                                  placed: placed)
                switch booking {
                case .stale(let generation, let free, let poolUnits):
                    return .refused(generation: generation, free: free, poolUnits: poolUnits)
                case .booked(let stored, let written, let freeAfter):
                    let body = try Self.body(stored, placed: placed, written: written, shortfall: planned.shortfall, partners: partners)
                    if let idempotency {
                        try IdempotencyRecords.insert(on: connection, tenant: idempotency.tenant, key: idempotency.key,
                                                      requestHash: idempotency.requestHash, status: 201, body: body, orderID: id,
                                                      ttlSeconds: ttl)
                    }
                    return .booked((201, body, false), freeAfter: freeAfter, poolUnits: poolUnits)
                }
            }
            switch outcome {
            case .replayed(let answer):
                return answer
            case .booked(let answer, let freeAfter, let poolUnits):
                context.placements.observed(capability, planned: snapshot.generation, current: snapshot.generation,
                                            free: freeAfter, slotIDs: planned.allocations.map(\.slotID))
                if let name = model.pool, pool != nil {
                    context.placements.observedPool(capability, pool: name, generation: snapshot.generation, rows: poolUnits, complete: false)
                }
                return answer
            case .refused(let generation, let free, let poolUnits):
                context.placements.observed(capability, planned: snapshot.generation, current: generation, free: free,
                                            slotIDs: planned.allocations.map(\.slotID))
                if let name = model.pool, let poolUnits, generation == snapshot.generation {
                    context.placements.observedPool(capability, pool: name, generation: generation, rows: poolUnits, complete: false)
                }
            }
        }
        return try await submitUnderLocks(submission, id: id, model: model)
    }

    /// The held copy for today, caught up from the change log when it is behind, or read anew
    /// (each in one consistent snapshot).
    func view(_ capability: String, asOf: Day) async throws -> (PlacementCache.Snapshot, [Int]) {
        let pool = context.pool
        return try await context.placements.view(capability, asOf: asOf, catchUp: { held in
            try await pool.withConnection { connection in
                try CandidateRecords.changes(on: connection, capability: capability, since: held.generation)
            }
        }, read: {
            let (candidates, generation) = try await pool.transaction(.repeatableRead) { connection in
                try CandidateRecords.snapshot(on: connection, capability: capability, from: asOf)
            }
            return PlacementCache.Snapshot(capability: capability, asOf: asOf, generation: generation, candidates: candidates)
        })
    }

    /// The held units of the order's pool per slot at `generation` (``PlacementCache/PoolUnits``),
    /// read and held first if none are; nil for an order without a pool. Read at a later
    /// generation, they serve this round only: its booking is then refused for its generation.
    func heldPoolUnits(of order: Scheduling.Order, capability: String, asOf: Day, generation: Int64) async throws -> PlacementCache.PoolUnits? {
        guard let pool = order.pool else { return nil }
        if let held = context.placements.poolUnits(capability, pool: pool, generation: generation) { return held }
        let read = try await context.pool.withConnection { connection in
            try BatchRecords.poolUnitsAtGeneration(on: connection, capability: capability, pool: pool, from: asOf)
        }
        context.placements.observedPool(capability, pool: pool, generation: read.generation, rows: read.units, complete: true)
        return PlacementCache.PoolUnits(generation: read.generation, rows: read.units)
    }

    /// What the booking of a plan made from `held` checks: the pool's units over every day the
    /// order may use (from its release, or `asOf`, to its due date) are still those held. Nil
    /// when there is no such day.
    static func poolCheck(_ order: Scheduling.Order, asOf: Day, held: PlacementCache.PoolUnits) -> OrderRecords.PoolCheck? {
        let from = max(order.releaseDate, asOf)
        guard from <= order.dueDate else { return nil }
        return OrderRecords.PoolCheck(from: from, to: order.dueDate, units: held.sum(from: from, to: order.dueDate))
    }

    /// Units of the order's pool that other orders hold in each slot of the capability from
    /// `asOf` to its due date (no later slot is eligible), read fresh (quotes, which write
    /// nothing that could check held figures); empty for an order without a pool.
    func poolUnits(of order: Scheduling.Order, capability: String, asOf: Day) async throws -> [Int64: Int] {
        guard let pool = order.pool else { return [:] }
        return try await context.pool.withConnection { connection in
            try BatchRecords.poolUnits(on: connection, capability: capability, pool: pool, from: asOf, to: order.dueDate)
        }
    }

    /// A plan for one order from a snapshot's free units.
    struct Planned: Sendable {
        var placement: Scheduling.OrderPlacement
        /// Snapshot slot index of each allocation, parallel to `allocations`.
        var slots: [Int]
        var allocations: [OrderRecords.NewAllocation]
        var shortfall: Scheduling.Shortfall?
    }

    /// - Parameter poolUnits: units of the order's pool held by other orders, by slot id.
    static func plan(_ order: Scheduling.Order, asOf: Day, snapshot: PlacementCache.Snapshot, free: [Int],
                     poolUnits: [Int64: Int] = [:]) -> Planned {
        let all = snapshot.candidates
        let indices = Scheduling.placementCandidates(order: order, asOf: asOf, factories: all.factories, slots: all.slots,
                                                     free: free, factorySlots: snapshot.factorySlots,
                                                     poolUnits: { poolUnits[all.slotIDs[$0]] ?? 0 })
        let placement = Scheduling.place(order: order, asOf: asOf, factories: all.factories,
                                         slots: indices.map { Self.slot(all, $0, order: order, poolUnits: poolUnits) },
                                         free: indices.map { free[$0] }, advise: false)
        let slots = placement.allocations.map { indices[$0.slot] }
        let allocations = zip(placement.allocations, slots).map { allocation, slot in
            OrderRecords.NewAllocation(slotID: all.slotIDs[slot], units: allocation.units, unitCost: all.slots[slot].unitCost)
        }
        var planned = Planned(placement: placement, slots: slots, allocations: allocations, shortfall: nil)
        if placement.servedUnits < order.quantity {
            planned.shortfall = shortfall(order, asOf: asOf, snapshot: snapshot, free: free, planned: planned, poolUnits: poolUnits)
        }
        return planned
    }

    /// Snapshot slot `index`, with the units of the order's pool other orders hold there.
    static func slot(_ all: CandidateRecords.Candidates, _ index: Int, order: Scheduling.Order, poolUnits: [Int64: Int]) -> Scheduling.Slot {
        var slot = all.slots[index]
        if let pool = order.pool, let units = poolUnits[all.slotIDs[index]], units > 0 { slot.outsidePoolUnits[pool] = units }
        return slot
    }

    /// Why a short plan is short and what would serve more, from the snapshot's slots up to
    /// the advice horizon (see ``OrderPlacer/shortfall(_:asOf:placement:factories:slots:free:position:planned:)``).
    private static func shortfall(_ order: Scheduling.Order, asOf: Day, snapshot: PlacementCache.Snapshot, free: [Int],
                                  planned: Planned, poolUnits: [Int64: Int]) -> Scheduling.Shortfall? {
        let all = snapshot.candidates
        let horizon = order.dueDate.adding(days: OrderPlacer.adviceHorizonDays)
        let indices = all.slots.indices.filter { all.slots[$0].day <= horizon }
        let position = Dictionary(uniqueKeysWithValues: indices.enumerated().map { ($1, $0) })
        return OrderPlacer.shortfall(order, asOf: asOf, placement: planned.placement, factories: all.factories,
                                     slots: indices.map { slot(all, $0, order: order, poolUnits: poolUnits) }, free: indices.map { free[$0] },
                                     position: position, planned: zip(planned.slots, planned.placement.allocations).map { ($0, $1.units) })
    }

    /// The stored answer for a retried Idempotency-Key; 409 while the first is in flight, 422
    /// for another body under the same key.
    private static func replay(on connection: PostgresConnection, _ idempotency: (tenant: String, key: String, requestHash: [UInt8])) throws -> Answer? {
        guard try IdempotencyRecords.tryLock(on: connection, tenant: idempotency.tenant, key: idempotency.key) else {
            throw HTTPError(.conflict, detail: "A request with this Idempotency-Key is still being processed; retry in a moment to get its result.",
                            headers: ["Retry-After": "1"])
        }
        guard let record = try IdempotencyRecords.find(on: connection, tenant: idempotency.tenant, key: idempotency.key) else { return nil }
        guard record.requestHash == idempotency.requestHash else {
            throw HTTPError(.unprocessableEntity, detail: "This Idempotency-Key was already used with a different request body; use a new key for a new order.",
                            title: "Idempotency-Key reused", errors: [FieldError(field: "Idempotency-Key", message: "was used before with another body")])
        }
        return (record.status, record.body, true)
    }
}

extension OrderBooking {
    /// The pessimistic way: read the eligible slots in the transaction, lock the chosen ones
    /// in id order, check and re-plan with fresh figures until the plan fits, then write.
    /// Slower (the read is most of an order's cost) but it waits for its turn instead of
    /// being refused again and again.
    func submitUnderLocks(_ submission: Submission, id: UUID, model: Scheduling.Order) async throws -> Answer {
        let input = submission.input
        let capability = input.capability.code
        let asOf = submission.asOf
        let ttl = context.configuration.idempotencyTTLSeconds
        return try await context.pool.transaction { connection -> Answer in
            if let idempotency = submission.idempotency, let replay = try Self.replay(on: connection, idempotency) {
                return replay
            }
            let plan = try OrderPlacer.plan(on: connection, order: model, capability: capability, asOf: asOf, lock: true)
            let shortfall = try OrderPlacer.shortfall(on: connection, plan: plan, capability: capability, asOf: asOf)
            let order = Self.order(submission, id: id, served: plan.placement.servedUnits, shortfall: shortfall)
            // The slots are locked and the plan fits them, so the booking cannot be refused.
            let placed = plan.placed
            let (booking, partners, _) = try Self.bookReadingPartners(on: connection, order, plan.allocations, generation: nil,
                                                                      poolCheck: nil, placed: placed)
            guard case .booked(let stored, let written, _) = booking else {
                throw HTTPError(.conflict, detail: "The capacity changed while the order was being placed; submit it again.")
            }
            let body = try Self.body(stored, placed: placed, written: written, shortfall: shortfall, partners: partners)
            if let idempotency = submission.idempotency {
                try IdempotencyRecords.insert(on: connection, tenant: idempotency.tenant, key: idempotency.key,
                                              requestHash: idempotency.requestHash, status: 201, body: body, orderID: id,
                                                      ttlSeconds: ttl)
            }
            return (201, body, false)
        }
    }

    /// The order row this submission stores, whichever path placed it.
    static func order(_ submission: Submission, id: UUID, served: Int, shortfall: Scheduling.Shortfall?) -> OrderRecords.Order {
        let input = submission.input
        return OrderRecords.Order(
            id: id, brokerID: submission.brokerID, capability: input.capability.code, quantity: input.quantity, dueDate: input.dueDate,
            releaseDate: submission.releaseDate, maxUnitCost: input.maxUnitCost, regions: input.regions,
            certifications: input.certifications, minLot: input.minLot, maxFactories: input.maxFactories,
            priority: input.priority, reference: input.reference, status: OrderStatus.of(allocated: served, quantity: input.quantity),
            allocatedUnits: served, unscheduledReason: shortfall.map { ShortfallDTO($0).message },
            createdAt: Date(), updatedAt: Date(), cancelledAt: nil, pool: input.pool)
    }

    /// ``OrderRecords/book(on:_:_:generation:)`` for both paths: a broker id that names no
    /// broker is the client's mistake (422 naming `broker_id`), never a 500.
    static func book(on connection: PostgresConnection, _ order: OrderRecords.Order, _ allocations: [OrderRecords.NewAllocation],
                     generation: Int64?, poolCheck: OrderRecords.PoolCheck? = nil) throws -> OrderRecords.Booking {
        try brokerChecked { try OrderRecords.book(on: connection, order, allocations, generation: generation, poolCheck: poolCheck) }
    }

    /// ``book(on:_:_:generation:)`` and, for an order of a pool, in the same round trip: its
    /// batch partners in the booked slots that charge for batches
    /// (``partners(on:pool:id:placed:)``) and its pool's units in every booked slot, which the
    /// placement cache takes in. The statements go in one pipeline, so they form one implicit
    /// transaction. The reads see every order committed before they began and this one's
    /// allocations, as reads just after the booking did (a round trip later); the slots stay
    /// locked until they are done (server time only), so the pool units there are exact, and a
    /// failed read leaves nothing booked. Both are empty when nothing was booked.
    static func bookReadingPartners(on connection: PostgresConnection, _ order: OrderRecords.Order,
                                    _ allocations: [OrderRecords.NewAllocation], generation: Int64?, poolCheck: OrderRecords.PoolCheck?,
                                    placed: [Placed]) throws -> (OrderRecords.Booking, [OrderCostRecords.Line], [BatchRecords.PoolUnits]) {
        guard let pool = order.pool, !allocations.isEmpty else {
            return (try book(on: connection, order, allocations, generation: generation, poolCheck: poolCheck), [], [])
        }
        let batchSlots = placed.filter { $0.batchCost > 0 }.map(\.new.slotID)
        return try brokerChecked {
            var statements = [OrderRecords.bookStatement(order, allocations, generation: generation, poolCheck: poolCheck),
                              BatchRecords.poolUnitsStatement(slotIDs: allocations.map(\.slotID), pool: pool)]
            if !batchSlots.isEmpty {
                statements.append(OrderCostRecords.partnersStatement(slotIDs: batchSlots, pool: pool, excluding: order.id))
            }
            let results = try connection.pipeline(statements)
            let booking = try OrderRecords.booking(results[0], order, allocations, generation: generation)
            guard case .booked = booking else { return (booking, [], []) }
            return (booking, try results.count > 2 ? results[2].map(OrderCostRecords.line) : [], try results[1].map(BatchRecords.poolUnits))
        }
    }

    /// A broker id that names no broker is the client's mistake (422 naming `broker_id`), never a 500.
    private static func brokerChecked<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.sqlState == PostgresError.foreignKeyViolation
            && error.constraint == "orders_broker_id_fkey" {
            throw ValidationFailure(field: "broker_id", message: "no broker with this id exists").httpError
        }
    }
}
