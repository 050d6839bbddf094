import Foundation
import NIOHTTP1
import Testing
import WeftHTTP

/// Answers with the route template and parameters, so tests can see which route ran.
private func describeRoute(_ request: Request) -> Response {
    let parameters = request.parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
    return .text("\(request.routeTemplate ?? "-") \(parameters.joined(separator: ","))")
}

private func route(_ router: Router, _ method: HTTPMethod, _ uri: String) async throws -> Response {
    try await router.respond(to: Request(method: method, uri: uri, logger: quietLogger))
}

private func text(_ response: Response) -> String {
    String(decoding: response.body, as: UTF8.self)
}

@Suite("Router")
struct RouterTests {
    @Test func literalSegmentBeatsParameter() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/orders/{id}") { describeRoute($0) }
        builder.on(.GET, "/orders/special") { describeRoute($0) }
        let router = builder.build()

        #expect(try await text(route(router, .GET, "/orders/special")) == "/orders/special ")
        #expect(try await text(route(router, .GET, "/orders/42")) == "/orders/{id} id=42")
    }

    @Test func literalDeadEndBacktracksIntoParameter() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/a/b") { describeRoute($0) }
        builder.on(.GET, "/a/{x}/c") { describeRoute($0) }
        let router = builder.build()

        #expect(try await text(route(router, .GET, "/a/b/c")) == "/a/{x}/c x=b")
        #expect(try await text(route(router, .GET, "/a/b")) == "/a/b ")
    }

    @Test func methodOnLiteralFallsBackToParameterRoute() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/a/b") { describeRoute($0) }
        builder.on(.POST, "/a/{x}") { describeRoute($0) }
        let router = builder.build()

        #expect(try await text(route(router, .POST, "/a/b")) == "/a/{x} x=b")
    }

    @Test func unknownPathIs404Problem() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/a") { describeRoute($0) }
        let response = try await route(builder.build(), .GET, "/b")

        #expect(response.status == .notFound)
        #expect(response.headers.first(name: "content-type") == "application/problem+json")
        #expect(response.routeTemplate == nil)
        let problem = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect(problem?["status"] as? Int == 404)
        #expect(problem?["title"] as? String == "Not Found")
    }

    @Test func knownPathWithOtherMethodIs405WithAllow() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/things/{id}") { describeRoute($0) }
        builder.on(.DELETE, "/things/{id}") { describeRoute($0) }
        builder.on(.POST, "/things") { describeRoute($0) }
        let router = builder.build()

        let response = try await route(router, .PUT, "/things/7")
        #expect(response.status == .methodNotAllowed)
        #expect(response.headers.first(name: "allow") == "GET, HEAD, DELETE")
        #expect(response.headers.first(name: "content-type") == "application/problem+json")

        let other = try await route(router, .GET, "/things")
        #expect(other.status == .methodNotAllowed)
        #expect(other.headers.first(name: "allow") == "POST")
    }

    @Test func headIsServedByGetRoute() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/page") { describeRoute($0) }
        let response = try await route(builder.build(), .HEAD, "/page")
        #expect(response.status == .ok)
        #expect(text(response) == "/page ")
    }

    @Test func parametersArePercentDecoded() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/files/{name}") { describeRoute($0) }
        let router = builder.build()

        #expect(try await text(route(router, .GET, "/files/a%20b")) == "/files/{name} name=a b")
        #expect(try await text(route(router, .GET, "/files/x%2Fy")) == "/files/{name} name=x/y")
        #expect(try await text(route(router, .GET, "/files/%C3%A9t%C3%A9")) == "/files/{name} name=été")
        // Literal segments are compared after decoding too.
        #expect(try await text(route(router, .GET, "/%66iles/z")) == "/files/{name} name=z")
    }

    @Test func malformedPercentEncodingIs400() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/files/{name}") { describeRoute($0) }
        let router = builder.build()

        #expect(try await route(router, .GET, "/files/a%zzb").status == .badRequest)
        #expect(try await route(router, .GET, "/files/a%2").status == .badRequest)
        #expect(try await route(router, .GET, "/files/%FF").status == .badRequest)  // not UTF-8
    }

    @Test func trailingSlashIsIgnoredButEmptySegmentsAre404() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/a/b") { describeRoute($0) }
        builder.on(.GET, "/c/") { describeRoute($0) }
        builder.on(.GET, "/") { describeRoute($0) }
        let router = builder.build()

        #expect(try await text(route(router, .GET, "/a/b/")) == "/a/b ")
        #expect(try await text(route(router, .GET, "/a/b?x=1")) == "/a/b ")
        #expect(try await text(route(router, .GET, "/c")) == "/c ")
        #expect(try await text(route(router, .GET, "/")) == "/ ")
        #expect(try await route(router, .GET, "//").status == .notFound)
        #expect(try await route(router, .GET, "/a//b").status == .notFound)
        #expect(try await route(router, .GET, "/a/b//").status == .notFound)
        #expect(try await route(router, .GET, "*").status == .notFound)
    }

    @Test func routesAreListedInCanonicalForm() {
        var builder = RouterBuilder()
        builder.on(.GET, "/v1/orders/{id}/") { describeRoute($0) }
        builder.on(.POST, "/v1/orders") { describeRoute($0) }
        let listed = builder.routes.map { "\($0.method.rawValue) \($0.path)" }
        #expect(listed == ["GET /v1/orders/{id}", "POST /v1/orders"])
        #expect(builder.build().routes.map(\.path) == ["/v1/orders/{id}", "/v1/orders"])
    }

    @Test func responseCarriesRouteTemplateEvenWhenHandlerThrows() async throws {
        var builder = RouterBuilder()
        builder.on(.GET, "/orders/{id}") { _ in
            throw HTTPError(.notFound, detail: "no such order")
        }
        let response = try await route(builder.build(), .GET, "/orders/9")
        #expect(response.status == .notFound)
        #expect(response.routeTemplate == "/orders/{id}")
    }
}

/// Records the order in which middleware runs.
private struct Tracing: Middleware {
    let name: String
    let trace: Trace

    func respond(to request: Request, next: any Responder) async throws -> Response {
        self.trace.append("\(self.name)>")
        var response = try await next.respond(to: request)
        self.trace.append("<\(self.name):\(response.status.code)")
        response.headers.add(name: "X-Trace", value: self.name)
        return response
    }
}

private final class Trace: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ item: String) { self.lock.withLock { self.items.append(item) } }
    var all: [String] { self.lock.withLock { self.items } }
}

private struct Refusing: Middleware {
    func respond(to request: Request, next: any Responder) async throws -> Response {
        throw HTTPError(.unauthorized, detail: "no key")
    }
}

@Suite("Router middleware")
struct MiddlewareTests {
    @Test func middlewareRunsInOrderAddedAroundTheHandler() async throws {
        let trace = Trace()
        var builder = RouterBuilder()
        builder.on(.GET, "/x") { request in
            trace.append("handler(\(request.routeTemplate ?? "-"))")
            return .text("ok")
        }
        builder.add(middleware: Tracing(name: "outer", trace: trace))
        builder.add(middleware: Tracing(name: "inner", trace: trace))
        let response = try await route(builder.build(), .GET, "/x")

        #expect(trace.all == ["outer>", "inner>", "handler(/x)", "<inner:200", "<outer:200"])
        #expect(response.headers[canonicalForm: "x-trace"] == ["inner", "outer"])
    }

    @Test func middlewareSeesHandlerErrorsAsProblemResponses() async throws {
        let trace = Trace()
        var builder = RouterBuilder()
        builder.add(middleware: Tracing(name: "m", trace: trace))
        builder.on(.GET, "/boom") { _ in throw PlainError() }
        let response = try await route(builder.build(), .GET, "/boom")

        #expect(trace.all == ["m>", "<m:500"])
        #expect(response.status == .internalServerError)
    }

    @Test func throwingMiddlewareShortCircuits() async throws {
        let trace = Trace()
        var builder = RouterBuilder()
        builder.add(middleware: Tracing(name: "outer", trace: trace))
        builder.add(middleware: Refusing())
        builder.on(.GET, "/x") { _ in
            trace.append("handler")
            return .text("ok")
        }
        let response = try await route(builder.build(), .GET, "/x")
        #expect(response.status == .unauthorized)
        #expect(trace.all == ["outer>", "<outer:401"])
    }

    @Test func unroutedRequestsSkipMiddleware() async throws {
        let trace = Trace()
        var builder = RouterBuilder()
        builder.add(middleware: Tracing(name: "m", trace: trace))
        builder.on(.GET, "/x") { _ in .text("ok") }
        let router = builder.build()

        #expect(try await route(router, .GET, "/y").status == .notFound)
        #expect(try await route(router, .POST, "/x").status == .methodNotAllowed)
        #expect(trace.all.isEmpty)
    }
}
