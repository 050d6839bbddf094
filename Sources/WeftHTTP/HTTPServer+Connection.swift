import Logging
import NIOCore
import NIOHTTP1
import Synchronization

extension HTTPServer {
    /// Answers one connection's requests in order until it closes.
    func serve(_ connection: NIOAsyncChannel<ReceivedRequest, OutgoingResponse>) async {
        let remoteAddress = AccessLog.format(connection.channel.remoteAddress)
        // A connection that closes (the client reset it, or it timed out) cancels the request
        // being answered, so its database statement stops instead of running on for no one.
        // One task per connection, not per request (a task per request cost more CPU than a
        // keep-alive request's whole HTTP work): it serves the connection's requests and is
        // cancelled when the connection closes, which also ends its wait for the next request.
        // It runs where the connection's task does: on its event loop.
        let task = ConnectionTask(executor: EventLoopTaskExecutor(eventLoop: connection.channel.eventLoop))
        connection.channel.closeFuture.whenComplete { _ in task.connectionClosed() }
        await task.run { await self.answerAll(connection, remoteAddress: remoteAddress) }
    }

    /// Answers the connection's requests in order until it closes or its task is cancelled.
    private func answerAll(_ connection: NIOAsyncChannel<ReceivedRequest, OutgoingResponse>, remoteAddress: String?) async {
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await received in inbound {
                    let (request, response) = await self.answer(received, remoteAddress: remoteAddress)
                    // Logged before writing so that requests whose client has gone still
                    // leave a line.
                    AccessLog.record(
                        AccessLog.Entry(
                            method: request.method.rawValue,
                            path: request.path,
                            route: response.routeTemplate,
                            status: response.status,
                            startedAt: received.startedAt,
                            requestID: request.requestID,
                            bytesIn: received.body.readableBytes,
                            bytesOut: response.body.count,
                            remoteAddress: remoteAddress,
                            extra: response.logMetadata
                        ),
                        // The server's logger: the line carries request_id itself, so the
                        // request's logger (the same plus request_id) would add nothing.
                        logger: self.logger
                    )
                    try await outbound.write(Self.encode(response, requestID: request.requestID))
                }
            }
        } catch {
            self.logger.debug(
                "connection ended with an error",
                metadata: ["error": "\(String(reflecting: error))", "remote": "\(remoteAddress ?? "-")"]
            )
        }
    }

    /// Builds the ``Request`` and asks the responder, turning every failure into a problem.
    private func answer(_ received: ReceivedRequest, remoteAddress: String?) async -> (Request, Response) {
        let head = received.head
        let requestID = RequestID.accept(head.headers.first(name: RequestID.headerName)) ?? RequestID.generate()
        let request: Request
        do throws(HTTPError) {
            request = try Request(
                method: head.method,
                uri: head.uri,
                headers: head.headers,
                body: Array(received.body.readableBytesView),
                requestID: requestID,
                logger: self.logger,
                remoteAddress: remoteAddress
            )
        } catch {
            // Only malformed query encoding gets here; answer it without the responder,
            // keeping a request (sans query) for the access log.
            let unparsed = Request(
                method: head.method,
                uri: head.uri,
                path: Request.split(target: head.uri).path,
                query: QueryParameters(),
                headers: head.headers,
                body: [],
                requestID: requestID,
                logger: self.logger,
                remoteAddress: remoteAddress
            )
            return (unparsed, Response.problem(error, requestID: requestID))
        }
        do {
            return (request, try await self.responder.respond(to: request))
        } catch {
            return (request, Response.problem(for: error, request: request))
        }
    }

    /// Adds the headers every response carries and converts to NIO's types.
    private static func encode(_ response: Response, requestID: String) -> OutgoingResponse {
        var headers = response.headers
        headers.replaceOrAdd(name: RequestID.headerName, value: requestID)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        return OutgoingResponse(
            head: HTTPResponseHead(version: .http1_1, status: response.status, headers: headers),
            body: ByteBuffer(bytes: response.body)
        )
    }
}

/// The task answering a connection's requests, to cancel when the connection closes under it.
final class ConnectionTask: Sendable {
    private let state = Mutex<(cancel: (@Sendable () -> Void)?, closed: Bool)>((nil, false))
    /// Where the task runs (an unstructured task does not inherit the connection task's
    /// executor preference; without it every request would hop to the cooperative pool).
    private let executor: (any TaskExecutor)?

    init(executor: (any TaskExecutor)? = nil) { self.executor = executor }

    /// Runs `work` in a task of its own that `connectionClosed()` (or cancelling the caller) cancels.
    func run<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> T {
        let task = Task(executorPreference: executor) { await work() }
        let closed = state.withLock { state -> Bool in
            state.cancel = { task.cancel() }
            return state.closed
        }
        if closed { task.cancel() }
        let value = await withTaskCancellationHandler { await task.value } onCancel: { task.cancel() }
        state.withLock { $0.cancel = nil }
        return value
    }

    func connectionClosed() {
        let cancel = state.withLock { state -> (@Sendable () -> Void)? in
            state.closed = true
            return state.cancel
        }
        cancel?()
    }
}
