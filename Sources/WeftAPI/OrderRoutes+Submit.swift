import Foundation
import NIOHTTP1
import WeftCore
import WeftHTTP
import WeftStore

extension OrderRoutes {
    /// `POST /v1/orders`: validate, place at once, store order and allocations in one
    /// transaction, and answer with the plan. With `Idempotency-Key`, the first response is
    /// stored in that same transaction and replayed for retries.
    func submit(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let input = try request.input(OrderInput.self)
        let brokerID = try broker(for: principal, input)
        let asOf = Day.today
        let release = try releaseDate(input, asOf: asOf)
        let key = try Self.idempotencyKey(request)
        let tenant = principal.role == .broker ? "broker:\(brokerID.lowercasedString)" : "admin"
        let requestHash = sha256(request.body)
        let (status, body, replayed) = try await context.pool.transaction { connection -> (Int, [UInt8], Bool) in
            if let key {
                guard try IdempotencyRecords.tryLock(on: connection, tenant: tenant, key: key) else {
                    throw HTTPError(.conflict, detail: "A request with this Idempotency-Key is still being processed; retry in a moment to get its result.",
                                    headers: ["Retry-After": "1"])
                }
                if let record = try IdempotencyRecords.find(on: connection, tenant: tenant, key: key) {
                    guard record.requestHash == requestHash else {
                        throw HTTPError(.unprocessableEntity, detail: "This Idempotency-Key was already used with a different request body; use a new key for a new order.",
                                        title: "Idempotency-Key reused", errors: [FieldError(field: "Idempotency-Key", message: "was used before with another body")])
                    }
                    return (record.status, record.body, true)
                }
            }
            guard try connection.query("SELECT 1 FROM brokers WHERE id = $1", brokerID).first != nil else {
                throw ValidationFailure(field: "broker_id", message: "no broker with this id exists").httpError
            }
            let id = UUID()
            let model = OrderPlacer.model(input, id: id, releaseDate: release)
            let plan = try OrderPlacer.plan(on: connection, order: model, capability: input.capability.code, asOf: asOf, lock: true)
            let shortfall = try OrderPlacer.shortfall(on: connection, plan: plan, capability: input.capability.code, asOf: asOf)
            let served = plan.placement.servedUnits
            let order = try OrderRecords.insert(on: connection, OrderRecords.Order(
                id: id, brokerID: brokerID, capability: input.capability.code, quantity: input.quantity, dueDate: input.dueDate,
                releaseDate: release, maxUnitCost: input.maxUnitCost, regions: input.regions, certifications: input.certifications,
                minLot: input.minLot, maxFactories: input.maxFactories, priority: input.priority, reference: input.reference,
                status: orderStatus(served: served, quantity: input.quantity),
                allocatedUnits: served, unscheduledReason: shortfall.map { ShortfallDTO($0).message },
                createdAt: Date(), updatedAt: Date(), cancelledAt: nil))
            let written = try OrderRecords.insertAllocations(on: connection, orderID: id, plan.allocations)
            // The answer is built from what was just written rather than read back: these slots
            // stay locked until COMMIT, so every statement saved here shortens the wait of the
            // requests queued behind this one.
            let allocations = plan.allocations.indices.map { index in
                let new = plan.allocations[index]
                let row = written[new.slotID]!
                return OrderRecords.Allocation(id: row.id, orderID: id, slotID: new.slotID, factoryID: plan.factoryIDs[index],
                                               capability: input.capability.code, day: plan.days[index], units: new.units,
                                               unitCost: new.unitCost, status: "planned", runID: nil, createdAt: row.createdAt, confirmedAt: nil)
            }.sorted { ($0.day, $0.factoryID.uuidString, $0.id) < ($1.day, $1.factoryID.uuidString, $1.id) }
            let setupCosts = Dictionary(plan.placement.allocations.map { allocation -> (UUID, Int64) in
                let factory = plan.candidates.slots[allocation.slot].factory
                return (plan.candidates.factoryIDs[factory], plan.candidates.factories[factory].setupCost)
            }, uniquingKeysWith: { first, _ in first })
            let body = Array(try JSON.encoder.encode(OrderDTO(order, allocations: allocations, setupCosts: setupCosts, shortfall: shortfall)))
            if let key {
                try IdempotencyRecords.insert(on: connection, tenant: tenant, key: key, requestHash: requestHash,
                                              status: 201, body: body, orderID: id)
            }
            return (201, body, false)
        }
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if replayed { headers.add(name: "Idempotent-Replayed", value: "true") }
        return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: body)
    }

    /// `POST /v1/quotes`: the plan the order would get now; nothing is written or locked.
    func quote(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let input = try request.input(OrderInput.self)
        if principal.role == .broker { _ = try broker(for: principal, input) }
        let asOf = Day.today
        let release = try releaseDate(input, asOf: asOf)
        let quote = try await context.pool.withConnection { connection -> QuoteDTO in
            let model = OrderPlacer.model(input, id: UUID(), releaseDate: release)
            let plan = try OrderPlacer.plan(on: connection, order: model, capability: input.capability.code, asOf: asOf, lock: false)
            let shortfall = try OrderPlacer.shortfall(on: connection, plan: plan, capability: input.capability.code, asOf: asOf)
            return QuoteDTO(plan: plan, input: input, releaseDate: release, asOf: asOf, shortfall: shortfall)
        }
        return try Response.json(quote)
    }

    private func broker(for principal: Principal, _ input: OrderInput) throws -> UUID {
        if principal.role == .broker, let own = principal.brokerID {
            if let given = input.brokerID, UUID(uuidString: given.text) != own {
                throw HTTPError(.forbidden, detail: "A broker key places orders for its own broker only; leave broker_id out.")
            }
            return own
        }
        guard let given = input.brokerID, let id = UUID(uuidString: given.text) else {
            throw ValidationFailure(field: "broker_id", message: "is required when an admin submits an order: the broker it is for").httpError
        }
        return id
    }

    private func releaseDate(_ input: OrderInput, asOf: Day) throws -> Day {
        let release = input.releaseDate ?? asOf
        guard release <= input.dueDate else {
            throw ValidationFailure(field: "due_date", message: "must be on or after release_date (today, \(asOf), when release_date is not given)").httpError
        }
        return release
    }

    /// The `Idempotency-Key` header: 1 to 255 visible ASCII characters.
    static func idempotencyKey(_ request: Request) throws -> String? {
        guard let key = request.headers.first(name: "Idempotency-Key") else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw ValidationFailure(field: "Idempotency-Key", message: "must be 1 to 255 visible ASCII characters, e.g. a UUID").httpError
        }
        return key
    }
}

/// What an order would get now.
struct QuoteDTO: Codable, Sendable {
    var status: String
    var capability: String
    var quantity: Int
    var allocatedUnits: Int
    var dueDate: Day
    var releaseDate: Day
    var asOf: Day
    var cost: Int64
    var exact: Bool
    var shortfall: ShortfallDTO?
    var allocations: [AllocationDTO]

    init(plan: OrderPlacer.Plan, input: OrderInput, releaseDate: Day, asOf: Day, shortfall: Scheduling.Shortfall?) {
        let served = plan.placement.servedUnits
        status = orderStatus(served: served, quantity: input.quantity)
        capability = input.capability.code
        quantity = input.quantity
        allocatedUnits = served
        dueDate = input.dueDate
        self.releaseDate = releaseDate
        self.asOf = asOf
        cost = plan.placement.cost
        exact = plan.placement.exact
        self.shortfall = shortfall.map(ShortfallDTO.init)
        allocations = plan.allocations.indices.map { index in
            AllocationDTO(factoryID: plan.factoryIDs[index], capability: input.capability.code, date: plan.days[index],
                          units: plan.allocations[index].units, unitCost: plan.allocations[index].unitCost, status: "quoted")
        }
    }
}
