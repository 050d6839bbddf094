import WeftHTTP
import WeftStore

/// Gives reports and the dashboard's pages the long statement time limit
/// (`WEFT_DB_LONG_STATEMENT_TIMEOUT_MS`): they read a lot, and an admin waits for them on
/// purpose. Every other request keeps the request limit.
struct StatementBudgetMiddleware: Middleware {
    static let longPrefixes = ["/v1/reports/", "/dashboard"]

    func respond(to request: Request, next: any Responder) async throws -> Response {
        guard Self.longPrefixes.contains(where: { request.path.hasPrefix($0) }) else { return try await next.respond(to: request) }
        return try await StatementBudget.$current.withValue(.long) { try await next.respond(to: request) }
    }
}
