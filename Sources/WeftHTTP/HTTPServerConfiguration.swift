import NIOCore

/// Listening address, limits and timeouts for ``HTTPServer``.
public struct HTTPServerConfiguration: Sendable {
    /// The address to bind.
    public var host = "127.0.0.1"
    /// The port to bind; 0 lets the system pick a free one (reported through `onListening`).
    public var port = 8080
    /// The largest request body accepted; larger → 413 and the connection is closed.
    /// Checked against `Content-Length` up front and against the bytes actually received.
    public var maxBodySize = 8 * 1024 * 1024
    /// The largest request head (request line and headers) accepted; larger → 431 and the
    /// connection is closed. NIO's parser refuses heads over 80 KiB on its own, so values
    /// above that act as 80 KiB.
    public var maxHeaderBytes = 64 * 1024
    /// The most header fields one request may carry; more → 431 and the connection is closed.
    /// Many tiny headers cost more to handle than their bytes suggest.
    public var maxHeaderCount = 100
    /// How long a keep-alive connection may wait for its next request before it is closed.
    public var idleTimeout: TimeAmount = .seconds(60)
    /// How long a request may take to arrive completely, from its first byte to the end of
    /// its body; slower → 408 and the connection is closed.
    public var requestReadTimeout: TimeAmount = .seconds(30)
    /// The most connections served at once; connections beyond it are closed at once.
    public var maxConnections = 4096
    /// How long to keep reading (and discarding) after an error response, before closing,
    /// so that a client still sending its body receives the response instead of a reset.
    public var lingerTimeout: TimeAmount = .seconds(2)

    /// The defaults above.
    public init() {}
}
