import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A response as read off the wire by ``RawConnection``.
struct RawResponse {
    var status: Int
    var reason: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    /// The first value of `name`, compared case-insensitively.
    func header(_ name: String) -> String? {
        self.headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: self.body, as: UTF8.self) }

    /// The body as a JSON object.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(self.body)) as? [String: Any] else {
            throw RawConnection.Failure("body is not a JSON object: \(self.text)")
        }
        return object
    }
}

/// A client that sends exact bytes and parses responses by hand, so tests can speak
/// malformed, pipelined or half-finished HTTP. Non-blocking (NIO), so it never ties up
/// the cooperative pool the server's handlers run on.
final class RawConnection {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let writer: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    private var buffer: [UInt8] = []
    /// Set by the watchdog before it force-closes the connection: an EOF after that is ours,
    /// not the server's.
    private let watchdogFired: Watchdog
    /// Whether the server ended the connection (EOF or reset), not the watchdog.
    private(set) var sawEOF = false
    private var ended = false

    private init(
        iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator,
        writer: NIOAsyncChannelOutboundWriter<ByteBuffer>,
        channel: any Channel,
        watchdogFired: Watchdog
    ) {
        self.watchdogFired = watchdogFired
        self.iterator = iterator
        self.writer = writer
        self.channel = channel
    }

    /// Whether the watchdog has fired.
    final class Watchdog: Sendable {
        private let fired = Mutex(false)
        var hasFired: Bool { fired.withLock { $0 } }
        func fire() { fired.withLock { $0 = true } }
    }

    /// Connects to `127.0.0.1:port` and runs `body`. The connection is force-closed after
    /// `timeout` so that a misbehaving server fails the test instead of hanging it: a guard
    /// against hangs, not a measure of speed, so it is far beyond anything a test waits for
    /// even on a loaded machine. Whether the server or the watchdog ended the connection is
    /// recorded as a fact (``sawEOF``), never inferred from the clock.
    ///
    /// `sendingAtConnect` is written by the event loop the moment the connection is up, not
    /// after this task resumes: on a loaded machine a task can wait longer than a short idle
    /// timeout, and the server would rightly close a connection that sent nothing.
    static func with<T>(
        port: Int,
        timeout: TimeAmount = .seconds(120),
        sendingAtConnect: [UInt8] = [],
        _ body: (RawConnection) async throws -> T
    ) async throws -> T {
        let client = try await connect(port: port, sendingAtConnect: sendingAtConnect)
        let fired = Watchdog()
        let watchdog = client.channel.eventLoop.scheduleTask(in: timeout) { [channel = client.channel] in
            fired.fire()
            channel.close(promise: nil)
        }
        defer { watchdog.cancel() }
        return try await client.asyncChannel.executeThenClose { inbound, outbound in
            let connection = RawConnection(
                iterator: inbound.makeAsyncIterator(),
                writer: outbound,
                channel: client.channel,
                watchdogFired: fired
            )
            return try await body(connection)
        }
    }

    /// Opens a connection, or throws if it is refused.
    static func connect(port: Int, sendingAtConnect: [UInt8] = []) async throws -> (asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, channel: any Channel) {
        let asyncChannel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            // Generous: a refused connection fails at once anyway, and 60 suites run in parallel.
            .connectTimeout(.seconds(10))
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if !sendingAtConnect.isEmpty {
                        try channel.pipeline.syncOperations.addHandler(SendOnActive(bytes: sendingAtConnect))
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(isOutboundHalfClosureEnabled: true)
                    )
                }
            }
        return (asyncChannel, asyncChannel.channel)
    }

    func send(_ text: String) async throws {
        try await self.send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await self.writer.write(ByteBuffer(bytes: bytes))
    }

    /// Shuts our sending side (TCP half-close), as `shutdown(SHUT_WR)` would.
    func finishSending() {
        self.writer.finish()
    }

    /// Reads one response, skipping `100 Continue`; nil if the connection ended first.
    func readResponse() async throws -> RawResponse? {
        while true {
            guard let headEnd = try await self.fill(until: { self.find([13, 10, 13, 10], in: $0) }) else {
                return nil
            }
            let headText = String(decoding: self.buffer[..<headEnd], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                throw Failure("bad status line in \(headText)")
            }
            let headers = lines.compactMap { line -> (name: String, value: String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }
            self.buffer.removeFirst(headEnd + 4)
            var response = RawResponse(
                status: status,
                reason: statusLine.count > 2 ? String(statusLine[2]) : "",
                headers: headers,
                body: []
            )
            if (100..<200).contains(status) { continue }
            let length = Int(response.header("content-length") ?? "0") ?? 0
            guard try await self.fill(until: { $0.count >= length ? length : nil }) != nil else {
                throw Failure("connection ended inside a \(length)-byte body")
            }
            response.body = Array(self.buffer[..<length])
            self.buffer.removeFirst(length)
            return response
        }
    }

    /// A response to a HEAD request: headers only, whatever Content-Length says.
    func readHeadResponse() async throws -> RawResponse? {
        guard let headEnd = try await self.fill(until: { self.find([13, 10, 13, 10], in: $0) }) else { return nil }
        let headText = String(decoding: self.buffer[..<headEnd], as: UTF8.self)
        self.buffer.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return RawResponse(status: Int(statusLine[1]) ?? 0, reason: "", headers: headers, body: [])
    }

    /// Reads until the server closes; returns whatever bytes arrived meanwhile.
    func readUntilClosed() async throws -> [UInt8] {
        _ = try await self.fill(until: { _ in nil })
        defer { self.buffer.removeAll() }
        return self.buffer
    }

    /// Reads until `done` returns an index, or the connection ends (then nil).
    private func fill(until done: ([UInt8]) -> Int?) async throws -> Int? {
        while true {
            if let index = done(self.buffer) { return index }
            if self.ended { return nil }
            do {
                guard var chunk = try await self.iterator.next() else {
                    self.connectionEnded()
                    continue
                }
                self.buffer += chunk.readBytes(length: chunk.readableBytes) ?? []
            } catch {
                // A reset also ends the conversation; tests assert on what arrived before it.
                self.connectionEnded()
            }
        }
    }

    private func connectionEnded() {
        self.ended = true
        self.sawEOF = !self.watchdogFired.hasFired
    }

    private func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}

/// Writes its bytes when the channel becomes active, on the event loop.
private final class SendOnActive: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let bytes: [UInt8]
    init(bytes: [UInt8]) { self.bytes = bytes }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(bytes: self.bytes)), promise: nil)
        context.fireChannelActive()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
