import Foundation
import WeftCore
import WeftHTTP
import WeftStore

/// `limit` and `cursor` of a list request over rows ordered by (created_at, id).
struct KeysetPaging {
    /// Items per page.
    var limit: Int
    /// Where the page starts (strictly after); nil for the first page.
    var after: ListPosition?

    /// Reads `limit` and `cursor` from the query; call inside `request.queryInput`.
    static func read(_ reader: inout QueryReader) -> (limit: Int, cursor: String?) {
        (reader.limit(), reader.cursor())
    }

    /// Decodes the cursor: 422 when it is not one this API issued.
    init(limit: Int, cursor: String?) throws {
        self.limit = limit
        guard let cursor else { return }
        let decoded = try ListCursor(decoding: cursor)
        // Ids are UUIDs; anything else would reach PostgreSQL as a bad uuid (a 500).
        guard let id = UUID(uuidString: decoded.id) else { throw ListCursor.invalid }
        after = ListPosition(createdAt: decoded.createdAt, id: id)
    }

    /// How many rows to fetch: one more than a page, to learn whether another follows.
    var fetchLimit: Int { limit + 1 }

    /// The page for `rows` fetched with `fetchLimit`.
    func page<Row, Item: Encodable & Sendable>(_ rows: [Row], position: (Row) -> ListPosition, item: (Row) -> Item) -> Page<Item> {
        let shown = rows.prefix(limit)
        var next: String?
        if rows.count > limit, let last = shown.last {
            let position = position(last)
            next = ListCursor(createdAt: position.createdAt, id: position.id.uuidString.lowercased()).encoded
        }
        return Page(items: shown.map(item), nextCursor: next)
    }
}

extension ListCursor {
    /// The 422 for a cursor this API did not issue.
    static var invalid: HTTPError {
        HTTPError(.unprocessableEntity, detail: "The cursor is not one this server issued; pass next_cursor from the previous page unchanged.",
                  title: "Validation failed", type: HTTPError.validationType,
                  errors: [FieldError(field: "cursor", message: "is not a cursor returned by this API")])
    }
}

extension Request {
    /// Refuses every query parameter: routes that take none still answer a typo with 422
    /// rather than silently ignoring it.
    func noQuery() throws {
        try queryInput { _ in () }
    }
}
