/// Anything that turns a request into a response: the router, a single handler, a test stub.
public protocol Responder: Sendable {
    /// Answers `request`. Thrown errors are rendered as problems (see ``Response/problem(for:request:)``).
    func respond(to request: Request) async throws -> Response
}

/// A route handler.
public typealias Handler = @Sendable (Request) async throws -> Response

/// Code that wraps every routed request: authentication, metrics, and the like.
///
/// Within a ``Router``, `next` never throws for errors raised further in: they have
/// already been rendered into a problem response, so a middleware always sees the
/// final status. Throwing from a middleware short-circuits with that error's problem.
public protocol Middleware: Sendable {
    /// Handles `request`, usually by calling `next.respond(to:)` and adjusting the result.
    func respond(to request: Request, next: any Responder) async throws -> Response
}

/// A ``Responder`` made from a closure.
public struct HandlerResponder: Responder {
    private let handler: Handler

    /// Wraps `handler`.
    public init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    /// Calls the handler.
    public func respond(to request: Request) async throws -> Response {
        try await self.handler(request)
    }
}
