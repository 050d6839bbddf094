import Foundation
import NIOHTTP1
import WeftHTTP

/// Times and counts every request the app answers, outermost, so that 401s from the key
/// gate and 404s of unknown paths are counted too (the latter as route `unmatched`).
///
/// Requests the connection handler refuses before they reach the app (413, 431, 408) are
/// not counted here; they are in the access log.
struct MetricsResponder: Responder {
    let metrics: WeftMetrics
    let next: any Responder

    /// The route label of requests no route matched; raw paths would make a series per id.
    static let unmatched = "unmatched"

    func respond(to request: Request) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        metrics.requestStarted()
        defer { metrics.requestFinished() }
        let response: Response
        do {
            response = try await next.respond(to: request)
        } catch {
            // The server would render this the same way; rendering here keeps its status countable.
            response = Response.problem(for: error, request: request)
        }
        let elapsed = clock.now - start
        let route = response.routeTemplate ?? Self.unmatched
        metrics.recordRequest(method: Self.methodLabel(request.method), route: route, status: Int(response.status.code), duration: elapsed)
        if request.method == .POST, response.routeTemplate == "/v1/orders" {
            metrics.recordPlacement(outcome: Self.placementOutcome(response), duration: elapsed)
        }
        return response
    }

    /// Standard methods by name, anything else as `other`: clients choose the method, and a
    /// series per invented method name would let them grow the registry without bound.
    static func methodLabel(_ method: HTTPMethod) -> String {
        switch method {
        case .GET, .HEAD, .POST, .PUT, .PATCH, .DELETE, .OPTIONS: return method.rawValue
        default: return "other"
        }
    }

    /// The order's `status` for a stored order (`scheduled`, `partial`, `unscheduled`),
    /// otherwise the HTTP status of the refusal.
    static func placementOutcome(_ response: Response) -> String {
        let code = Int(response.status.code)
        guard (200..<300).contains(code),
              let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
              let status = object["status"] as? String,
              ["scheduled", "partial", "unscheduled"].contains(status) else {
            return String(code)
        }
        return status
    }
}

/// Puts who is calling into the access log line (`auth.role`, `auth.tenant`, `auth.key_id`):
/// WeftHTTP writes that line but knows nothing of principals, so the API hands the fields
/// over in ``Response/logMetadata``.
struct PrincipalLogMiddleware: Middleware {
    func respond(to request: Request, next: any Responder) async throws -> Response {
        var response = try await next.respond(to: request)
        guard let principal = Principal.current else { return response }
        response.logMetadata["auth.role"] = principal.role.rawValue
        response.logMetadata["auth.key_id"] = principal.keyID.uuidString.lowercased()
        if let tenant = principal.tenant { response.logMetadata["auth.tenant"] = tenant }
        return response
    }
}

extension Principal {
    /// `factory:<id>` or `broker:<id>`; nil for admins, who act for no one tenant.
    var tenant: String? {
        if let factoryID { return "factory:\(factoryID.uuidString.lowercased())" }
        if let brokerID { return "broker:\(brokerID.uuidString.lowercased())" }
        return nil
    }
}
