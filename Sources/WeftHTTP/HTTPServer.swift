import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// An HTTP/1.1 server: keep-alive, pipelining, limits, timeouts, graceful shutdown.
///
/// Each connection is served by one task that answers its requests in order; the task
/// runs on the connection's event loop (between the loop's I/O), and blocking work (libpq)
/// runs on the database pool's own threads. Run it in a `ServiceGroup`, or call ``run()``
/// directly and cancel the task to stop.
///
/// On graceful shutdown it stops accepting (the listening socket is closed, so new
/// connections are refused), closes idle keep-alive connections, lets requests in
/// flight finish and sends their responses with `Connection: close`, and returns
/// once every connection has closed.
public final class HTTPServer: Service, Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any Responder
    let logger: Logger
    let eventLoopGroup: any EventLoopGroup
    let onListening: (@Sendable (Int) -> Void)?

    /// Creates a server; nothing happens until ``run()``.
    ///
    /// - Parameter onListening: Called with the bound port once the server listens;
    ///   useful with port 0.
    public init(
        configuration: HTTPServerConfiguration,
        responder: any Responder,
        logger: Logger,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        onListening: (@Sendable (Int) -> Void)? = nil
    ) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.eventLoopGroup = eventLoopGroup
        self.onListening = onListening
    }

    /// Serves until the task is cancelled or a graceful shutdown completes.
    ///
    /// - Throws: When the address cannot be bound.
    public func run() async throws {
        let configuration = self.configuration
        let logger = self.logger
        let serverChannel = try await ServerBootstrap(group: self.eventLoopGroup)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            // Half-closure lets a client send its requests, shut its side, and still read
            // the answers; HTTPConnectionHandler closes once they are written.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel, configuration: configuration, logger: logger)
                }
            }

        let port = serverChannel.channel.localAddress?.port ?? configuration.port
        logger.info("HTTP server listening", metadata: ["host": "\(configuration.host)", "port": "\(port)"])
        self.onListening?(port)

        let registry = ConnectionRegistry()
        let listener = serverChannel.channel
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await serverChannel.executeThenClose { inbound in
                    for try await connection in inbound {
                        switch registry.admit(connection.channel, limit: configuration.maxConnections) {
                        case .admitted:
                            // The connection's task runs on its channel's event loop (see
                            // EventLoopTaskExecutor): no hop to a cooperative thread and back.
                            group.addTask(executorPreference: EventLoopTaskExecutor(eventLoop: connection.channel.eventLoop)) {
                                await self.serve(connection)
                                registry.remove(connection.channel)
                            }
                        case .overLimit(let open):
                            logger.warning(
                                "connection limit reached; closing new connection",
                                metadata: [
                                    "open": "\(open)",
                                    "remote": "\(AccessLog.format(connection.channel.remoteAddress) ?? "-")",
                                ]
                            )
                            try? await connection.executeThenClose { _, _ in }
                        case .shuttingDown:
                            try? await connection.executeThenClose { _, _ in }
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            logger.info("HTTP server shutting down gracefully")
            let open = registry.beginShutdown()
            listener.close(promise: nil)
            for channel in open {
                // HTTPConnectionHandler closes idle connections at once and the others
                // after their current response, which it marks `Connection: close`.
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
        }
        logger.info("HTTP server stopped")
    }

    private static func configure(
        _ channel: any Channel,
        configuration: HTTPServerConfiguration,
        logger: Logger
    ) throws -> NIOAsyncChannel<ReceivedRequest, OutgoingResponse> {
        let pipeline = channel.pipeline.syncOperations
        // NIO's protocol error handler would answer parse errors with a bare 400;
        // HTTPConnectionHandler sends problem documents instead. It also keeps pipelined
        // requests in order itself (NIO's pipelining handler stops reading during every
        // request and starts again after it: two epoll_ctl calls per request).
        try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
        try pipeline.addHandler(HTTPConnectionHandler(configuration: configuration, logger: logger))
        return try wrapClosingOnDeinit(channel)
    }
}

/// Wraps an accepted channel so that, if the accept loop never takes it up (a connection that
/// arrives while the listener is closing), dropping the wrapper closes the channel instead of
/// tripping NIO's "NIOAsyncWriter deinited without calling finish()" trap, which crashed test
/// runs at shutdown. NIO deprecates this initialiser in favour of explicit `executeThenClose`,
/// which every connection the loop takes up still gets; the one deprecation warning it costs is
/// the price of not crashing.
private func wrapClosingOnDeinit(_ channel: any Channel) throws -> NIOAsyncChannel<ReceivedRequest, OutgoingResponse> {
    try NIOAsyncChannel(synchronouslyWrapping: channel)
}
