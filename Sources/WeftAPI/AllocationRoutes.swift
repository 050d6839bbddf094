import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// The factory's view of its work: what is assigned to it, and confirming (pinning) it.
struct AllocationRoutes {
    let context: AppContext

    /// Longest date range one request may ask for.
    static let maxRangeDays = 366

    func register(on builder: inout RouterBuilder) {
        builder.on(.GET, "/v1/factories/{id}/allocations") { try await list($0) }
        builder.on(.POST, "/v1/allocations/{id}/confirm") { try await confirm($0) }
    }

    private func list(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.admin, .factory)
        let factoryID = try request.entityID(of: "factory")
        guard principal.mayAccess(factory: factoryID) else { throw notFound("factory", factoryID.lowercasedString) }
        let (from, to) = try request.queryInput { $0.dateRange() }
        let start = from ?? Day.today
        // Clamped: 9999-12-31 + 30 is no calendar date (nor one a response may carry).
        let end = to ?? min(start.adding(days: 30), CapacityRoutes.lastDay)
        guard end.ordinal - start.ordinal < Self.maxRangeDays else {
            throw ValidationFailure(field: "to", message: "must be less than \(Self.maxRangeDays) days after from").httpError
        }
        let items = try await context.pool.withConnection { connection -> [AllocationDTO]? in
            guard try connection.query("SELECT 1 FROM factories WHERE id = $1", factoryID).first != nil else { return nil }
            return try OrderRecords.allocations(on: connection, factoryID: factoryID, from: start, to: end).map { AllocationDTO($0, withOrder: true) }
        }
        guard let items else { throw notFound("factory", factoryID.lowercasedString) }
        return try Response.json(FactoryAllocationsDTO(factoryId: factoryID.lowercasedString, from: start, to: end, allocations: items))
    }

    private func confirm(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.factory)
        let text = request.parameters["id"] ?? ""
        guard let id = Int64(text), id > 0 else { throw notFound("allocation", text) }
        let dto = try await context.pool.transaction { connection -> AllocationDTO? in
            guard let allocation = try OrderRecords.allocation(on: connection, id: id),
                  principal.mayAccess(factory: allocation.factoryID) else { return nil }
            try OrderRecords.confirm(on: connection, id: id)
            return try OrderRecords.allocation(on: connection, id: id).map { AllocationDTO($0, withOrder: true) }
        }
        guard let dto else { throw notFound("allocation", text) }
        return try Response.json(dto)
    }
}

struct FactoryAllocationsDTO: Codable, Sendable {
    var factoryId: String
    var from: Day
    var to: Day
    var allocations: [AllocationDTO]
}
