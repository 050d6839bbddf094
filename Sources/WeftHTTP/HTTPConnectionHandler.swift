import Logging
import NIOCore
import NIOHTTP1

/// A request received completely, handed from the event loop to the connection's task.
struct ReceivedRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer
    /// When the request's first bytes were seen; the start of its latency.
    var startedAt: NIODeadline
}

/// A complete response, handed from the connection's task to the event loop.
struct OutgoingResponse: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
}

/// Guards one connection on its event loop, between NIO's HTTP codec and the connection's
/// async task.
///
/// It aggregates each request and enforces the limits and timeouts of
/// ``HTTPServerConfiguration``, answering violations itself (400, 408, 413, 431) so the
/// task only ever sees complete, acceptable requests. It also owns the decision to close
/// the connection: after `Connection: close`, after an error response, when the client
/// half-closes, when the connection idles, or when a graceful shutdown asks it to.
///
/// It keeps one request in flight (pipelining): what arrives while a request is with the
/// task (the next requests, the client's EOF, a parse error) waits in ``pending`` and is
/// replayed in order once the response is written, as NIO's `HTTPServerPipelineHandler`
/// does. Unlike that handler it keeps reading while a request is processed unless input is
/// already waiting: a client that waits for each answer (nearly all) then costs no
/// `epoll_ctl` to stop and restart reading per request.
final class HTTPConnectionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = ReceivedRequest
    typealias OutboundIn = OutgoingResponse
    typealias OutboundOut = HTTPServerResponsePart

    enum State {
        /// Waiting for the next request; the idle timer runs.
        case idle
        /// Bytes of a request head have arrived but not the whole head; the read timer runs.
        case awaitingHead
        /// The head is in and the body is arriving; the read timer runs.
        case receiving
        /// The request is with the async task; waiting for its response.
        case processing
        /// The connection is ending: input is discarded until it closes.
        case closing
    }

    /// Which deadline is in force: the idle timeout or the request read timeout.
    enum DeadlineKind {
        case idle, read
    }

    let configuration: HTTPServerConfiguration
    let logger: Logger
    var state = State.idle
    /// The deadline in force, if any, and the task that watches it (see ``arm(_:after:context:)``).
    var deadline: (kind: DeadlineKind, at: NIODeadline)?
    var deadlineCheck: Scheduled<Void>?
    var deadlineCheckAt: NIODeadline?
    /// The linger timer.
    var timer: Scheduled<Void>?
    var head: HTTPRequestHead?
    var body: ByteBuffer?
    var startedAt: NIODeadline?
    /// The client sent EOF: finish what is in flight, then close.
    var inputClosed = false
    /// The final response is out and output is shut; reading on until EOF or the linger timeout.
    var lingering = false
    var remoteAddress: String?
    /// Input that arrived while a request was with the task, replayed after its response.
    var pending = CircularBuffer<PendingEvent>()
    /// A read held back while input is pending; issued once the pending input is taken up.
    var readHeld = false
    /// Bytes of the next request (no complete head yet) arrived while one was processed: its
    /// read timeout starts when the response is out.
    var partialRequestWaiting = false
    /// The current read completed a request (whatever else it held is already parsed).
    var requestCompletedInThisRead = false
    /// A graceful shutdown is under way: the request in flight is the connection's last.
    var quiescing = false

    init(configuration: HTTPServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            self.connectionStarted(context: context)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.connectionStarted(context: context)
        context.fireChannelActive()
    }

    private func connectionStarted(context: ChannelHandlerContext) {
        self.remoteAddress = AccessLog.format(context.channel.remoteAddress)
        if case .idle = self.state {
            self.startIdleTimer(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.state = .closing
        self.pending.removeAll()
        self.cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.cancelTimer()
    }

    // MARK: Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = Self.unwrapInboundIn(data)
        if self.mustHoldInput {
            self.pending.append(.part(part))
            return
        }
        self.handle(part, context: context)
    }

    func handle(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let head):
            self.receivedHead(head, context: context)
        case .body(var part):
            self.receivedBody(&part, context: context)
        case .end:
            self.receivedEnd(context: context)
        }
    }

    private func receivedHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        switch self.state {
        case .idle:
            self.startedAt = .now()
            self.startReadTimer(context: context)
        case .awaitingHead:
            break
        case .receiving, .processing:
            // Holding input while a request is open makes this impossible; if it happens
            // anyway, the connection's framing is lost.
            self.logger.error("request head while another request is open; closing connection")
            self.state = .closing
            context.close(promise: nil)
            return
        case .closing:
            return
        }
        self.head = head
        self.state = .receiving

        let headSize = Self.headSize(head)
        if headSize > self.configuration.maxHeaderBytes {
            self.respondWithError(
                .requestHeaderFieldsTooLarge,
                detail: "The request head is \(headSize) bytes; the limit is \(self.configuration.maxHeaderBytes) bytes.",
                context: context
            )
            return
        }
        if head.headers.count > self.configuration.maxHeaderCount {
            self.respondWithError(
                .requestHeaderFieldsTooLarge,
                detail: "The request has \(head.headers.count) header fields; the limit is \(self.configuration.maxHeaderCount).",
                context: context
            )
            return
        }
        let declaredLength = head.headers.first(name: "content-length").flatMap { Int($0) }
        if let declaredLength, declaredLength > self.configuration.maxBodySize {
            self.respondWithError(
                .payloadTooLarge,
                detail: "The request body is \(declaredLength) bytes; the limit is \(self.configuration.maxBodySize) bytes.",
                context: context
            )
            return
        }
        self.body = context.channel.allocator.buffer(capacity: min(declaredLength ?? 0, self.configuration.maxBodySize))
        if head.headers[canonicalForm: "expect"].contains(where: { $0.lowercased() == "100-continue" }) {
            // The client waits for this before sending the body; the limits above have passed.
            let interim = HTTPResponseHead(version: head.version, status: .continue)
            context.writeAndFlush(Self.wrapOutboundOut(.head(interim)), promise: nil)
        }
    }

    private func receivedBody(_ part: inout ByteBuffer, context: ChannelHandlerContext) {
        guard case .receiving = self.state, var body = self.body.take() else { return }
        guard body.readableBytes + part.readableBytes <= self.configuration.maxBodySize else {
            // Chunked (or lying) clients are caught here, on the bytes actually received.
            self.respondWithError(
                .payloadTooLarge,
                detail: "The request body exceeds the limit of \(self.configuration.maxBodySize) bytes.",
                context: context
            )
            return
        }
        body.writeBuffer(&part)
        self.body = body
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        guard case .receiving = self.state, let head = self.head else { return }
        self.disarm()
        self.state = .processing
        self.requestCompletedInThisRead = true
        let request = ReceivedRequest(
            head: head,
            body: self.body.take() ?? ByteBuffer(),
            startedAt: self.startedAt ?? .now()
        )
        context.fireChannelRead(Self.wrapInboundOut(request))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .processing = self.state, self.pending.isEmpty, !self.requestCompletedInThisRead {
            // Bytes arrived while a request was with the task, and none of them made a
            // complete part: they are the start of the next request.
            self.partialRequestWaiting = true
        }
        self.requestCompletedInThisRead = false
        if case .idle = self.state {
            // Bytes arrived but no complete head: the start of a request, which must now
            // arrive within the read timeout rather than the (longer) idle timeout.
            self.state = .awaitingHead
            self.startedAt = .now()
            self.startReadTimer(context: context)
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            self.quiesce(context: context)
            return
        }
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        if self.mustHoldInput {
            // After the requests before it have been answered, as they arrived.
            self.pending.append(.inputClosed)
            return
        }
        self.handleInputClosed(context: context)
    }

    func handleInputClosed(context: ChannelHandlerContext) {
        // Not forwarded: the async side must not end the connection before its response
        // has been written, so closing is decided here.
        self.inputClosed = true
        switch self.state {
        case .idle, .awaitingHead, .receiving:
            self.state = .closing
            context.close(promise: nil)
        case .processing:
            break  // closed after the response; see write(context:data:promise:)
        case .closing:
            if self.lingering {
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError, self.mustHoldInput {
            // Bytes after the request in flight that do not parse: answered in their turn.
            self.pending.append(.parserError(error))
            return
        }
        self.handleError(error, context: context)
    }

    func handleError(_ error: any Error, context: ChannelHandlerContext) {
        if let parserError = error as? HTTPParserError {
            switch self.state {
            case .idle, .awaitingHead, .receiving:
                if case .headerOverflow = parserError {
                    self.respondWithError(
                        .requestHeaderFieldsTooLarge,
                        detail: "The request head exceeds the limit of \(self.configuration.maxHeaderBytes) bytes.",
                        context: context
                    )
                } else {
                    self.respondWithError(
                        .badRequest,
                        detail: "The request is not valid HTTP/1.1 (\(Self.describe(parserError))).",
                        context: context
                    )
                }
            case .processing:
                // Parser errors wait in `pending` until the response is out, so this is
                // unexpected; the framing is lost either way.
                self.inputClosed = true
            case .closing:
                break
            }
            return
        }
        if let decoderError = error as? ByteToMessageDecoderError,
            case .dataReceivedInErrorState = decoderError
        {
            return  // more bytes after a parser error, which has been answered already
        }
        self.logger.debug(
            "connection error",
            metadata: ["error": "\(String(reflecting: error))", "remote": "\(self.remoteAddress ?? "-")"]
        )
        self.state = .closing
        context.close(promise: nil)
    }

    // MARK: Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let response = Self.unwrapOutboundIn(data)
        guard case .processing = self.state, let requestHead = self.head else {
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        var head = response.head
        let keepAlive = requestHead.isKeepAlive && !self.inputClosed && !self.quiescing
        if !keepAlive {
            head.headers.replaceOrAdd(name: "connection", value: "close")
        } else if requestHead.version.minor == 0 {
            head.headers.replaceOrAdd(name: "connection", value: "keep-alive")
        }

        // State first: the pending input replayed after `.end` must find the connection idle.
        self.head = nil
        self.body = nil
        self.startedAt = nil
        if keepAlive, self.partialRequestWaiting, self.pending.isEmpty {
            // The next request has begun: it must arrive within the read timeout.
            self.state = .awaitingHead
            self.startedAt = .now()
            self.startReadTimer(context: context)
        } else if keepAlive {
            self.state = .idle
            self.startIdleTimer(context: context)
        } else {
            self.state = .closing
        }
        self.partialRequestWaiting = false

        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if Self.mayHaveBody(status: head.status, method: requestHead.method), response.body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        if let promise {
            written.futureResult.cascade(to: promise)
        }
        written.futureResult.assumeIsolated().whenComplete { result in
            switch result {
            case .success where keepAlive:
                break
            case .success where self.quiescing:
                // As NIO's pipelining handler did on a graceful shutdown: close once written.
                context.close(promise: nil)
            case .success:
                self.linger(context: context, writeSucceeded: true)
            case .failure(let error):
                // E.g. a header value with a line break, refused by NIO's validator: the
                // client got nothing usable, and the connection's framing is unknown.
                self.logger.error("failed to write response", metadata: ["error": "\(String(reflecting: error))"])
                context.close(promise: nil)
            }
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: written)
        self.replayPending(context: context)
    }

}

@available(*, unavailable)
extension HTTPConnectionHandler: Sendable {}
