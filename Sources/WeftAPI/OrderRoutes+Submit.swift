import Foundation
import NIOHTTP1
import WeftCore
import WeftHTTP
import WeftStore

extension OrderRoutes {
    /// `POST /v1/orders`: validate, place at once (``OrderBooking``), store order and
    /// allocations in one transaction, and answer with the plan. With `Idempotency-Key`, the
    /// first response is stored in that same transaction and replayed for retries.
    func submit(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let input = try request.input(OrderInput.self)
        let brokerID = try broker(for: principal, input)
        let asOf = Day.today
        let release = try releaseDate(input, asOf: asOf)
        let key = try Self.idempotencyKey(request)
        let tenant = principal.role == .broker ? "broker:\(brokerID.lowercasedString)" : "admin"
        let submission = OrderBooking.Submission(
            input: input, brokerID: brokerID, releaseDate: release, asOf: asOf,
            idempotency: key.map { (tenant: tenant, key: $0, requestHash: sha256(request.body)) })
        let (status, body, replayed) = try await OrderBooking(context: context).submit(submission)
        var headers: HTTPHeaders = ["Content-Type": "application/json; charset=utf-8"]
        if replayed { headers.add(name: "Idempotent-Replayed", value: "true") }
        return Response(status: HTTPResponseStatus(statusCode: status), headers: headers, body: body)
    }

    /// `POST /v1/quotes`: the plan the order would get now (``OrderBooking/quote(_:releaseDate:asOf:)``);
    /// nothing is written or locked.
    func quote(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.broker, .admin)
        let input = try request.input(OrderInput.self)
        if principal.role == .broker { _ = try broker(for: principal, input) }
        let asOf = Day.today
        let release = try releaseDate(input, asOf: asOf)
        let quote = try await OrderBooking(context: context).quote(input, releaseDate: release, asOf: asOf)
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
    /// What the order would be charged: units, setups and its share of the batches it would
    /// be in (as `cost` of an order).
    var cost: Int64
    /// What it would add to the network's cost (room in an open batch of its pool adds no batch cost).
    var addedCost: Int64
    var exact: Bool
    var shortfall: ShortfallDTO?
    var allocations: [AllocationDTO]

    init(input: OrderInput, releaseDate: Day, asOf: Day, placement: Scheduling.OrderPlacement, cost: Int64, shortfall: Scheduling.Shortfall?,
         allocations: [AllocationDTO]) {
        let served = placement.servedUnits
        status = OrderStatus.of(allocated: served, quantity: input.quantity)
        capability = input.capability.code
        quantity = input.quantity
        allocatedUnits = served
        dueDate = input.dueDate
        self.releaseDate = releaseDate
        self.asOf = asOf
        self.cost = cost
        addedCost = placement.cost
        exact = placement.exact
        self.shortfall = shortfall.map(ShortfallDTO.init)
        self.allocations = allocations
    }
}
