import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately small HTTP/1.1 client over a plain socket, so tests control the exact bytes
/// and connection reuse. Blocking socket calls run on a private queue, never on Swift's
/// cooperative threads (which the server under test needs).
public final class TestHTTPClient: @unchecked Sendable {
    // Used by one test at a time; the queue serialises access to the socket.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(String, String)]
        public var body: [UInt8]

        public func header(_ name: String) -> String? {
            headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
        }

        public var text: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed as a JSON object.
        public var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        }
    }

    private let fd: Int32
    private let queue = DispatchQueue(label: "weft.test.http-client")
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:port.
    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ClientError.socket("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { close(fd); throw ClientError.socket("connect() failed: \(errno)") }
        // A guard against a hang, not a timing claim: on two loaded cores a placement behind 60
        // others once took over 20 s to answer.
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private var aborted = false

    deinit { if !aborted { close(fd) } }

    /// Resets the connection (SO_LINGER 0, then close: the server sees a reset, not an orderly
    /// end), as a client that gives up does. The client is unusable afterwards.
    public func abort() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(fd)
                aborted = true
                continuation.resume()
            }
        }
    }

    /// `closed`: the server ended the connection; `timedOut`: no byte came within the receive timeout.
    public enum ClientError: Error { case socket(String), closed, timedOut, malformed(String) }

    /// Sends one request and reads its response on this connection.
    public func send(_ method: String, _ target: String, headers: [String: String] = [:], body: [UInt8] = []) async throws -> Response {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + body
        return try await run {
            try self.write(bytes)
            return try self.readResponse()
        }
    }

    /// Sends a JSON body.
    public func send(_ method: String, _ target: String, headers: [String: String] = [:], json: String) async throws -> Response {
        var headers = headers
        headers["Content-Type"] = "application/json"
        return try await send(method, target, headers: headers, body: Array(json.utf8))
    }

    /// Writes raw bytes (several pipelined requests, garbage, ...).
    public func writeRaw(_ bytes: [UInt8]) async throws { try await run { try self.write(bytes) } }

    /// Reads the next response from the connection.
    public func readResponse() async throws -> Response { try await run { try self.readResponse() } }

    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try work() }) }
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw ClientError.socket("send failed: \(errno)") }
            offset += written
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0, errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError.timedOut }
        guard count > 0 else { throw count == 0 ? ClientError.closed : ClientError.socket("recv failed: \(errno)") }
        buffer += chunk[0..<count]
    }

    private func readResponse() throws -> Response {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if buffer.count >= 4 {
                headEnd = (0...(buffer.count - 4)).first { Array(buffer[$0..<$0 + 4]) == separator }
            }
            if headEnd == nil { try fill() }
        }
        let head = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = head.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw ClientError.malformed(head) }
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        while buffer.count < length { try fill() }
        let body = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return Response(status: status, headers: headers, body: body)
    }
}
