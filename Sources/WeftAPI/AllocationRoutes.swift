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

    /// A page of the factory's allocations in the date range, by production day then id.
    private func list(_ request: Request) async throws -> Response {
        let principal = try Principal.require(.admin, .factory)
        let factoryID = try request.entityID(of: "factory")
        guard principal.mayAccess(factory: factoryID) else { throw notFound("factory", factoryID.lowercasedString) }
        let (range, limit, cursor) = try request.queryInput { reader in (reader.dateRange(), reader.limit(), reader.cursor()) }
        let after = try cursor.map(Self.position(of:))
        let start = range.from ?? Day.today
        // Clamped: 9999-12-31 + 30 is no calendar date (nor one a response may carry).
        let end = range.to ?? min(start.adding(days: 30), CapacityRoutes.lastDay)
        guard end.ordinal - start.ordinal < Self.maxRangeDays else {
            throw ValidationFailure(field: "to", message: "must be less than \(Self.maxRangeDays) days after from").httpError
        }
        let rows = try await context.pool.withConnection { connection -> [OrderRecords.Allocation]? in
            guard try connection.query("SELECT 1 FROM factories WHERE id = $1", factoryID).first != nil else { return nil }
            return try OrderRecords.allocations(on: connection, factoryID: factoryID, from: start, to: end, after: after, limit: limit)
        }
        guard let rows else { throw notFound("factory", factoryID.lowercasedString) }
        let shown = rows.prefix(limit)
        let next = rows.count > limit ? shown.last.map { Self.cursor(day: $0.day, id: $0.id) } : nil
        return try Response.json(FactoryAllocationsDTO(factoryId: factoryID.lowercasedString, from: start, to: end,
                                                       items: shown.map { AllocationDTO($0, withOrder: true) }, nextCursor: next))
    }

    /// The cursor after an allocation: its production day (as midnight UTC) and id.
    static func cursor(day: Day, id: Int64) -> String {
        ListCursor(createdAt: Date(timeIntervalSince1970: Double(day.ordinal) * 86_400), id: String(id)).encoded
    }

    /// The position a cursor names; 422 for one this route did not issue.
    static func position(of cursor: String) throws -> (day: Day, id: Int64) {
        let decoded = try ListCursor(decoding: cursor)
        let seconds = decoded.createdAt.timeIntervalSince1970
        guard let id = Int64(decoded.id), id > 0, seconds == (seconds / 86_400).rounded(.down) * 86_400 else { throw ListCursor.invalid }
        return (Day(ordinal: Int32(seconds / 86_400)), id)
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

/// A page of a factory's work: the range asked for, and `items`/`next_cursor` like every list.
struct FactoryAllocationsDTO: Encodable, Sendable {
    var factoryId: String
    var from: Day
    var to: Day
    var items: [AllocationDTO]
    var nextCursor: String?

    enum CodingKeys: String, CodingKey { case factoryId, from, to, items, nextCursor }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(factoryId, forKey: .factoryId)
        try container.encode(from, forKey: .from)
        try container.encode(to, forKey: .to)
        try container.encode(items, forKey: .items)
        try container.encode(nextCursor, forKey: .nextCursor) // explicit null on the last page
    }
}
