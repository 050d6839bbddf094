import Foundation
import Logging
import ServiceLifecycle
import NIOCore
import NIOHTTP1
import WeftHTTP

/// A log handler that keeps what it is given, so tests can assert on log lines.
final class LogRecorder: @unchecked Sendable {
    struct Entry {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var stored: [Entry] = []

    var entries: [Entry] { self.lock.withLock { self.stored } }

    func append(_ entry: Entry) {
        self.lock.withLock { self.stored.append(entry) }
    }

    var logger: Logger {
        Logger(label: "weft.http.test") { _ in Handler(recorder: self) }
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged = self.metadata
            merged.merge(event.metadata ?? [:]) { _, new in new }
            self.recorder.append(Entry(level: event.level, message: "\(event.message)", metadata: merged))
        }
    }
}

let quietLogger = Logger(label: "weft.http.test") { _ in SwiftLogNoOpLogHandler() }

struct Greeting: Codable, Sendable {
    var message: String
}

struct PlainError: Error {}

/// The routes the end-to-end tests talk to.
func makeTestRouter() -> Router {
    var routes = RouterBuilder()
    routes.on(.GET, "/hello") { _ in try .json(Greeting(message: "hello")) }
    // The body back as it came: this layer does not parse JSON (WeftAPI reads bodies with
    // WeftCore's JSONParser).
    routes.on(.POST, "/echo") { request in
        Response(status: .created, headers: ["Content-Type": "application/json"], body: request.body)
    }
    routes.on(.GET, "/items/{id}") { request in
        .text("item \(request.parameters["id"] ?? "?")")
    }
    routes.on(.GET, "/slow") { request in
        let milliseconds = Int(request.query["ms"] ?? "") ?? 300
        try await Task.sleep(for: .milliseconds(milliseconds))
        return .text("slept \(milliseconds)")
    }
    routes.on(.POST, "/upload") { request in
        .text("received \(request.body.count)")
    }
    routes.on(.GET, "/fail") { _ in throw PlainError() }
    routes.on(.DELETE, "/items/{id}") { _ in
        // A careless handler: 204 must go out without this body.
        Response(status: .noContent, body: Array("ignored".utf8))
    }
    routes.on(.GET, "/bad-header") { _ in
        Response(status: .ok, headers: ["X-Bad": "a\r\nInjected: yes"], body: Array("x".utf8))
    }
    return routes.build()
}

extension HTTPServerConfiguration {
    static func test(_ adjust: (inout HTTPServerConfiguration) -> Void = { _ in }) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration()
        configuration.port = 0
        adjust(&configuration)
        return configuration
    }
}

/// Runs a server on a free port for the duration of `body`, then shuts it down gracefully.
func withServer<T>(
    _ configuration: HTTPServerConfiguration = .test(),
    responder: any Responder = makeTestRouter(),
    logger: Logger = quietLogger,
    _ body: (_ port: Int) async throws -> T
) async throws -> T {
    let (ports, continuation) = AsyncStream<Int>.makeStream()
    let server = HTTPServer(
        configuration: configuration,
        responder: responder,
        logger: logger,
        onListening: { continuation.yield($0) }
    )
    // Stopped by a graceful shutdown, as in production, not by cancelling its task: a
    // cancelled accept loop drops connections it accepted but had not yet taken up, and NIO
    // traps on their unfinished writers.
    let group = ServiceGroup(services: [server], logger: logger)
    let running = Task {
        defer { continuation.finish() }
        try await group.run()
    }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else {
        try await running.value
        throw RawConnection.Failure("server stopped before listening")
    }
    do {
        let result = try await body(port)
        await group.triggerGracefulShutdown()
        try? await running.value
        return result
    } catch {
        await group.triggerGracefulShutdown()
        try? await running.value
        throw error
    }
}

/// A request in wire format.
func httpRequest(
    _ method: String,
    _ target: String,
    headers: [(String, String)] = [],
    body: String? = nil
) -> String {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
    for (name, value) in headers {
        text += "\(name): \(value)\r\n"
    }
    if let body {
        text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
    } else {
        text += "\r\n"
    }
    return text
}

/// Whether `value` is a generated request id.
func isGeneratedRequestID(_ value: String?) -> Bool {
    guard let value, value.count == 16 else { return false }
    return value.allSatisfy { $0.isHexDigit && !$0.isUppercase }
}
