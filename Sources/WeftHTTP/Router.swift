import NIOHTTP1

/// A frozen routing table: a path trie built once by ``RouterBuilder/build()``.
///
/// Matching rules:
/// - a literal segment beats a `{param}` at the same position; when the literal branch
///   dead-ends, matching backtracks into the parameter branch (`/a/b/x` can still reach
///   `/a/{p}/x` when `/a/b` exists);
/// - trailing slash: `/a/b/` is treated as `/a/b`; an empty segment (`/a//b`, `//`) is a 404;
/// - parameters are percent-decoded (`/files/a%20b` → `"a b"`); a malformed escape is a 400;
/// - no route for the path → 404 problem; the path exists but not for this method → 405
///   problem with an `Allow` header;
/// - `HEAD` is served by the `GET` route unless a `HEAD` route exists; the server then
///   sends the headers (including the GET's `Content-Length`) without the body. `Allow`
///   lists `HEAD` wherever `GET` is allowed. `OPTIONS` is not special: it gets a 405 with
///   `Allow` unless registered.
///
/// Handler and middleware errors never escape: they are rendered into problem responses
/// (see ``Response/problem(for:request:)``), and the response carries the route template.
public struct Router: Responder {
    /// One registered route with its middleware chain already applied.
    struct Route: Sendable {
        let template: String
        let parameterNames: [String]
        let responder: any Responder
    }

    private let root: Node
    /// Every registered route, as ``RouterBuilder/routes`` reported it.
    public let routes: [(method: HTTPMethod, path: String)]

    init(registrations: [RouterBuilder.Registration], middlewares: [any Middleware]) {
        self.routes = registrations.map { ($0.method, $0.template) }
        let entries = registrations.map { registration -> Node.Entry in
            var responder: any Responder = ErrorRenderingResponder(inner: HandlerResponder(registration.handler))
            for middleware in middlewares.reversed() {
                responder = ErrorRenderingResponder(inner: MiddlewareResponder(middleware: middleware, next: responder))
            }
            let names = registration.segments.compactMap { segment -> String? in
                if case .parameter(let name) = segment { return name }
                return nil
            }
            return Node.Entry(
                segments: registration.segments[...],
                method: registration.method,
                route: Route(template: registration.template, parameterNames: names, responder: responder)
            )
        }
        self.root = Node(entries: entries)
    }

    /// Routes `request` and answers it; never throws (errors become problem responses).
    public func respond(to request: Request) async throws -> Response {
        let segments: [String]
        do {
            guard let parsed = try PathTemplate.segments(ofRequestPath: request.path) else {
                return notFound(request)
            }
            segments = parsed
        } catch {
            return Response.problem(error, requestID: request.requestID)
        }

        var matches: [(node: Node, values: [String])] = []
        var captured: [String] = []
        self.root.collectMatches(segments[...], captured: &captured, into: &matches)
        guard !matches.isEmpty else { return notFound(request) }

        for (node, values) in matches {
            guard let route = node.route(for: request.method) else { continue }
            var request = request
            request.parameters = Dictionary(uniqueKeysWithValues: zip(route.parameterNames, values))
            request.routeTemplate = route.template
            var response: Response
            do {
                response = try await route.responder.respond(to: request)
            } catch {
                response = Response.problem(for: error, request: request)
            }
            response.routeTemplate = route.template
            return response
        }

        var allowed: [String] = []
        for (node, _) in matches {
            for method in node.allowedMethods where !allowed.contains(method) {
                allowed.append(method)
            }
        }
        let allow = allowed.joined(separator: ", ")
        return Response.problem(
            HTTPError(
                .methodNotAllowed,
                detail: "\(request.method.rawValue) is not allowed on \(request.path); allowed: \(allow).",
                headers: ["Allow": allow]
            ),
            requestID: request.requestID
        )
    }

    private func notFound(_ request: Request) -> Response {
        Response.problem(
            HTTPError(.notFound, detail: "No route for \(request.method.rawValue) \(request.path)."),
            requestID: request.requestID
        )
    }
}

extension Router {
    /// A trie node; immutable once built, so the router can be shared freely.
    final class Node: Sendable {
        struct Entry {
            var segments: ArraySlice<PathSegment>
            var method: HTTPMethod
            var route: Route
        }

        private let literals: [String: Node]
        private let parameter: Node?
        /// Routes ending here, keyed by method name.
        private let routes: [String: Route]
        /// For `Allow`: registered methods in registration order, plus HEAD after GET.
        let allowedMethods: [String]

        init(entries: [Entry]) {
            var routes: [String: Route] = [:]
            var methods: [String] = []
            var literalEntries: [String: [Entry]] = [:]
            var literalOrder: [String] = []
            var parameterEntries: [Entry] = []
            for var entry in entries {
                guard let first = entry.segments.first else {
                    routes[entry.method.rawValue] = entry.route
                    methods.append(entry.method.rawValue)
                    continue
                }
                entry.segments = entry.segments.dropFirst()
                switch first {
                case .literal(let text):
                    if literalEntries[text] == nil { literalOrder.append(text) }
                    literalEntries[text, default: []].append(entry)
                case .parameter:
                    parameterEntries.append(entry)
                }
            }
            if let get = methods.firstIndex(of: "GET"), !methods.contains("HEAD") {
                methods.insert("HEAD", at: get + 1)
            }
            self.routes = routes
            self.allowedMethods = methods
            self.literals = literalEntries.mapValues { Node(entries: $0) }
            self.parameter = parameterEntries.isEmpty ? nil : Node(entries: parameterEntries)
        }

        func route(for method: HTTPMethod) -> Route? {
            if let route = self.routes[method.rawValue] { return route }
            return method == .HEAD ? self.routes["GET"] : nil
        }

        /// Appends every node that `segments` reaches and that has routes, literal branches
        /// first, with the parameter values captured on the way.
        func collectMatches(
            _ segments: ArraySlice<String>,
            captured: inout [String],
            into matches: inout [(node: Node, values: [String])]
        ) {
            guard let first = segments.first else {
                if !self.routes.isEmpty { matches.append((self, captured)) }
                return
            }
            let rest = segments.dropFirst()
            if let literal = self.literals[first] {
                literal.collectMatches(rest, captured: &captured, into: &matches)
            }
            if let parameter = self.parameter {
                captured.append(first)
                parameter.collectMatches(rest, captured: &captured, into: &matches)
                captured.removeLast()
            }
        }
    }

    /// Renders errors into problems at every layer, so each middleware's `next` returns
    /// the final status instead of throwing.
    struct ErrorRenderingResponder: Responder {
        let inner: any Responder

        func respond(to request: Request) async throws -> Response {
            do {
                return try await self.inner.respond(to: request)
            } catch {
                return Response.problem(for: error, request: request)
            }
        }
    }

    struct MiddlewareResponder: Responder {
        let middleware: any Middleware
        let next: any Responder

        func respond(to request: Request) async throws -> Response {
            try await self.middleware.respond(to: request, next: self.next)
        }
    }
}
