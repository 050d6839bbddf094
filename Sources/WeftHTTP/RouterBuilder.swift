import NIOHTTP1

/// Collects routes and middleware, then freezes them into a ``Router``.
///
/// ```swift
/// var routes = RouterBuilder()
/// routes.add(middleware: Authentication())
/// routes.on(.GET, "/v1/orders/{id}") { request in ... }
/// let router = routes.build()
/// ```
public struct RouterBuilder {
    struct Registration {
        let method: HTTPMethod
        let segments: [PathSegment]
        let template: String
        let handler: Handler
    }

    private(set) var registrations: [Registration] = []
    private(set) var middlewares: [any Middleware] = []

    /// An empty builder.
    public init() {}

    /// Registers `handler` for `method` on `path`, e.g. `"/v1/orders/{id}/cancel"`.
    ///
    /// `{name}` segments capture a percent-decoded value into ``Request/parameters``.
    /// A trailing slash is ignored. Registering the same method and path shape twice
    /// (even with different parameter names) is a programming error and traps.
    public mutating func on(_ method: HTTPMethod, _ path: String, use handler: @escaping Handler) {
        let segments = PathTemplate.parse(path)
        let shape = Self.shape(segments)
        precondition(
            !self.registrations.contains { $0.method == method && Self.shape($0.segments) == shape },
            "route registered twice: \(method.rawValue) \(path)"
        )
        self.registrations.append(
            Registration(method: method, segments: segments, template: PathTemplate.render(segments), handler: handler)
        )
    }

    /// Adds middleware that wraps every routed request; the first added is the outermost.
    ///
    /// Applies to all routes, including those registered before it. Requests that match
    /// no route (404, 405) do not pass through middleware.
    public mutating func add(middleware: any Middleware) {
        self.middlewares.append(middleware)
    }

    /// Every registered route, in registration order, with paths in canonical form
    /// (no trailing slash), e.g. `(GET, "/v1/orders/{id}")`.
    public var routes: [(method: HTTPMethod, path: String)] {
        self.registrations.map { ($0.method, $0.template) }
    }

    /// Freezes the routes into an immutable ``Router``.
    public func build() -> Router {
        Router(registrations: self.registrations, middlewares: self.middlewares)
    }

    /// Parameters are interchangeable for conflict detection: `/a/{id}` and `/a/{name}`
    /// would be ambiguous.
    private static func shape(_ segments: [PathSegment]) -> [PathSegment] {
        segments.map {
            if case .parameter = $0 { return .parameter("") }
            return $0
        }
    }
}

extension RouterBuilder {
    /// Registers a `GET` route.
    public mutating func get(_ path: String, use handler: @escaping Handler) { on(.GET, path, use: handler) }
    /// Registers a `POST` route.
    public mutating func post(_ path: String, use handler: @escaping Handler) { on(.POST, path, use: handler) }
    /// Registers a `PUT` route.
    public mutating func put(_ path: String, use handler: @escaping Handler) { on(.PUT, path, use: handler) }
    /// Registers a `PATCH` route.
    public mutating func patch(_ path: String, use handler: @escaping Handler) { on(.PATCH, path, use: handler) }
    /// Registers a `DELETE` route.
    public mutating func delete(_ path: String, use handler: @escaping Handler) { on(.DELETE, path, use: handler) }
}
