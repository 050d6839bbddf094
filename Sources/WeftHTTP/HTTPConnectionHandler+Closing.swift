import Logging
import NIOCore
import NIOHTTP1

extension HTTPConnectionHandler {
    // MARK: Errors answered on the event loop

    /// Sends a problem response with `Connection: close`, then lingers (see ``linger``).
    ///
    /// - Parameter bypassingCodec: Write the response as raw bytes below the HTTP encoder.
    ///   Needed when no request has started as far as NIO's pipelining handler knows (a
    ///   head that never completed), because it refuses responses to no request.
    func respondWithError(
        _ status: HTTPResponseStatus,
        detail: String,
        bypassingCodec: Bool = false,
        context: ChannelHandlerContext
    ) {
        let requestHead = self.head
        let bytesIn = self.body?.readableBytes ?? 0
        let requestID = RequestID.accept(requestHead?.headers.first(name: RequestID.headerName)) ?? RequestID.generate()
        let problem = Response.problem(HTTPError(status, detail: detail), requestID: requestID)
        var headers = problem.headers
        headers.replaceOrAdd(name: "Content-Length", value: String(problem.body.count))
        headers.replaceOrAdd(name: RequestID.headerName, value: requestID)
        headers.replaceOrAdd(name: "Connection", value: "close")

        self.state = .closing
        self.cancelTimer()
        self.head = nil
        self.body = nil

        var logger = self.logger
        logger[metadataKey: "request_id"] = "\(requestID)"
        AccessLog.record(
            AccessLog.Entry(
                method: requestHead?.method.rawValue ?? "-",
                path: requestHead.map { Request.split(target: $0.uri).path } ?? "-",
                route: nil,
                status: status,
                startedAt: self.startedAt ?? .now(),
                requestID: requestID,
                bytesIn: bytesIn,
                bytesOut: problem.body.count,
                remoteAddress: self.remoteAddress
            ),
            logger: logger
        )

        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { result in
            self.linger(context: context, writeSucceeded: (try? result.get()) != nil)
        }
        let responseHead = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        if bypassingCodec {
            self.writeRaw(responseHead, body: problem.body, context: context, promise: written)
        } else {
            context.write(Self.wrapOutboundOut(.head(responseHead)), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: problem.body)))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: written)
        }
    }

    /// Closes after a final response: output first, then input after the client's EOF or
    /// the linger timeout. Closing both at once would make the kernel reset the connection
    /// if unread bytes remain (a body still arriving, pipelined requests), and a reset can
    /// destroy the response before the client has read it.
    func linger(context: ChannelHandlerContext, writeSucceeded: Bool) {
        guard writeSucceeded, !self.inputClosed, context.channel.isActive else {
            context.close(promise: nil)
            return
        }
        self.lingering = true
        let halfClosed = context.eventLoop.makePromise(of: Void.self)
        halfClosed.futureResult.assumeIsolated().whenFailure { _ in
            context.close(promise: nil)
        }
        context.close(mode: .output, promise: halfClosed)
        self.schedule(after: self.configuration.lingerTimeout, context: context) {
            context.close(promise: nil)
        }
    }

    /// Serialises a response by hand and writes it below the HTTP encoder.
    func writeRaw(
        _ head: HTTPResponseHead,
        body: [UInt8],
        context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>
    ) {
        guard let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) else {
            promise.fail(ChannelError.inappropriateOperationForState)
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 256 + body.count)
        buffer.writeString("HTTP/1.1 \(head.status.code) \(head.status.reasonPhrase)\r\n")
        for (name, value) in head.headers {
            buffer.writeString("\(name): \(value)\r\n")
        }
        buffer.writeString("\r\n")
        buffer.writeBytes(body)
        encoder.writeAndFlush(NIOAny(IOData.byteBuffer(buffer)), promise: promise)
    }

    // MARK: Timers

    /// The connection may wait for its next request until `idleTimeout` from now.
    func startIdleTimer(context: ChannelHandlerContext) {
        self.arm(.idle, after: self.configuration.idleTimeout, context: context)
    }

    /// The request that has begun must arrive completely within `requestReadTimeout` from now.
    func startReadTimer(context: ChannelHandlerContext) {
        self.arm(.read, after: self.configuration.requestReadTimeout, context: context)
    }

    /// Sets the one deadline in force. It is watched by one scheduled task that moves only
    /// when a deadline comes *earlier* than the task: a keep-alive request moves the deadline
    /// twice (read, then idle) without scheduling or cancelling anything, and the task, when it
    /// fires before the deadline then in force, schedules itself again for that deadline.
    func arm(_ kind: DeadlineKind, after delay: TimeAmount, context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + delay
        self.deadline = (kind, deadline)
        if let scheduled = self.deadlineCheckAt, scheduled <= deadline { return }
        self.deadlineCheck?.cancel()
        self.scheduleDeadlineCheck(at: deadline, context: context)
    }

    /// No deadline while the request is with the responder (the task, if pending, finds none).
    func disarm() {
        self.deadline = nil
    }

    private func scheduleDeadlineCheck(at time: NIODeadline, context: ChannelHandlerContext) {
        self.deadlineCheckAt = time
        self.deadlineCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: time) {
            self.deadlineCheck = nil
            self.deadlineCheckAt = nil
            self.checkDeadline(context: context)
        }
    }

    private func checkDeadline(context: ChannelHandlerContext) {
        guard let deadline = self.deadline else { return }
        guard NIODeadline.now() >= deadline.at else {
            self.scheduleDeadlineCheck(at: deadline.at, context: context)
            return
        }
        self.deadline = nil
        switch (deadline.kind, self.state) {
        case (.idle, .idle):
            self.state = .closing
            context.close(promise: nil)
        case (.read, .awaitingHead), (.read, .receiving):
            let waitingForHead = if case .awaitingHead = self.state { true } else { false }
            self.respondWithError(
                .requestTimeout,
                detail: "The request did not arrive completely within \(Self.describe(self.configuration.requestReadTimeout)).",
                bypassingCodec: waitingForHead,
                context: context
            )
        default:
            break
        }
    }

    /// Runs `action` after `delay` (the linger timeout), instead of any deadline.
    func schedule(after delay: TimeAmount, context: ChannelHandlerContext, _ action: @escaping () -> Void) {
        self.cancelTimer()
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: delay, action)
    }

    /// Cancels the deadline, its task and the linger timer.
    func cancelTimer() {
        self.deadline = nil
        self.deadlineCheck?.cancel()
        self.deadlineCheck = nil
        self.deadlineCheckAt = nil
        self.timer?.cancel()
        self.timer = nil
    }

    // MARK: Helpers

    /// Responses to HEAD, and 1xx, 204 and 304 responses, have no body on the wire
    /// (RFC 9110 §6.4.1); writing one would corrupt the framing of the next response.
    static func mayHaveBody(status: HTTPResponseStatus, method: HTTPMethod) -> Bool {
        guard method != .HEAD else { return false }
        switch status.code {
        case 100..<200, 204, 304: return false
        default: return true
        }
    }

    /// The size of the head as sent: request line, header lines and the blank line.
    static func headSize(_ head: HTTPRequestHead) -> Int {
        var size = head.method.rawValue.utf8.count + head.uri.utf8.count + 12
        for (name, value) in head.headers {
            size += name.utf8.count + value.utf8.count + 4
        }
        return size + 2
    }

    static func describe(_ error: HTTPParserError) -> String {
        switch error {
        case .invalidChunkSize: "invalid chunk size in chunked body"
        case .invalidMethod: "unknown method"
        case .invalidURL: "invalid request target"
        case .invalidVersion: "unsupported HTTP version"
        case .invalidHeaderToken: "invalid character in a header"
        case .invalidContentLength: "invalid Content-Length"
        case .unexpectedContentLength: "Content-Length not allowed here"
        case .invalidEOFState: "connection ended mid-request"
        case .lfExpected, .invalidConstant, .invalidCharactersUsed, .strictModeAssertion: "malformed request line or headers"
        case .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort: "invalid request target"
        case .trailingGarbage: "unexpected bytes after the request"
        default: "\(error)"
        }
    }

    static func describe(_ amount: TimeAmount) -> String {
        let milliseconds = amount.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
