import Foundation
import NIOCore
import Testing
import WeftFuzzSupport
import WeftHTTP

/// Hostile bytes at the HTTP edge: every answer is a 4xx or a closed connection, never a
/// 5xx or a crash, and the server goes on serving.
@Suite("HTTP edge fuzzing")
struct FuzzTests {
    /// Short read timeout: some inputs promise bytes that never come.
    static let configuration = HTTPServerConfiguration.test {
        $0.requestReadTimeout = .seconds(2)
        $0.lingerTimeout = .milliseconds(200)
    }

    /// Sends `bytes`, half-closes, and returns every response the server wrote before closing.
    static func exchange(_ bytes: [UInt8], port: Int) async throws -> [RawResponse] {
        try await RawConnection.with(port: port) { connection in
            try await connection.send(bytes)
            connection.finishSending()
            var responses: [RawResponse] = []
            while responses.count < 50, let response = try? await connection.readResponse() {
                responses.append(response)
            }
            return responses
        }
    }

    /// Expects only 4xx answers (or none: the connection was closed), then a healthy server.
    /// Most cases must get an answer: silence from all of them would mean the client broke.
    static func expectRefused(_ cases: [(String, [UInt8])], port: Int, allowSuccess: Bool = false) async throws {
        var answered = 0
        for (name, bytes) in cases {
            let responses = try await exchange(bytes, port: port)
            if !responses.isEmpty { answered += 1 }
            for response in responses {
                let allowed = allowSuccess ? response.status < 500 : (400..<500).contains(response.status)
                #expect(allowed, "\(name): \(response.status) \(response.text.prefix(200))")
            }
        }
        #expect(answered * 2 >= cases.count, "only \(answered) of \(cases.count) cases were answered")
        try await expectHealthy(port: port)
    }

    static func expectHealthy(port: Int) async throws {
        try await RawConnection.with(port: port) { connection in
            try await connection.send(httpRequest("GET", "/hello"))
            #expect(try await connection.readResponse()?.status == 200)
        }
    }

    @Test func malformedRequestLines() async throws {
        let lines: [String] = [
            "GET\r\n\r\n", "GET /\r\n\r\n", " / HTTP/1.1\r\n\r\n",
            "GET /hello HTTP/1.1 extra\r\n\r\n", "GET /hello HTTP/1.1\rHost: x\r\n\r\n", "GET /hello HTTP/\r\n\r\n",
            "GET /hello HTTP/1.1000\r\n\r\n", "G\u{0}T /hello HTTP/1.1\r\n\r\n", "GET /he\u{0}llo HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /hello?x=%ZZ HTTP/1.1\r\nHost: x\r\n\r\n", "GET /items/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /items/%C0%AF HTTP/1.1\r\nHost: x\r\n\r\n", "GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n",
            "\r\n\r\n\r\n\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "GET /" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\n\r\n",
            "GÉT /hello HTTP/1.1\r\n\r\n",
        ]
        try await withServer(Self.configuration) { port in
            try await Self.expectRefused(lines.map { (String($0.prefix(60)), Array($0.utf8)) }, port: port)
        }
    }

    @Test func malformedHeaders() async throws {
        let manyHeaders = (0..<10_000).map { "X-\($0): v\r\n" }.joined()
        let heads: [String] = [
            "GET /hello HTTP/1.1\r\nHost x\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost : x\r\n\r\n",
            "GET /hello HTTP/1.1\r\n: empty-name\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: x\r\nX: a\u{0}b\r\n\r\n",
            "GET /hello HTTP/1.1\r\nHost: x\r\n" + manyHeaders + "\r\n",
            "GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "b", count: 90_000) + "\r\n\r\n",
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n",
            "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc",
            "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n",
        ]
        try await withServer(Self.configuration) { port in
            try await Self.expectRefused(heads.map { (String($0.prefix(60)), Array($0.utf8)) }, port: port)
        }
    }

    @Test func badChunkedEncoding() async throws {
        let head = "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        let bodies: [String] = [
            "ZZ\r\nabc\r\n0\r\n\r\n", "FFFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n", "3\r\nabcdef\r\n0\r\n\r\n", "3\r\nabc0\r\n\r\n",
            "-3\r\nabc\r\n0\r\n\r\n", "3;ext=\"unterminated\r\nabc\r\n0\r\n\r\n", "3\r\nab", "\r\n\r\n",
            "800001\r\n" + String(repeating: "x", count: 1000), // declares more than the 8 MiB body limit
            "3\r\nabc\r\n0\r\nTrailer\u{0}: x\r\n\r\n",
        ]
        try await withServer(Self.configuration) { port in
            try await Self.expectRefused(bodies.map { (String($0.prefix(40)), Array((head + $0).utf8)) }, port: port)
        }
    }

    /// Random mutations of valid requests, from a fixed seed so failures reproduce.
    @Test func mutatedRequestsNeverBreakTheServer() async throws {
        var random = SplitMix64(seed: 0x5765_6674)
        let seeds = [
            httpRequest("GET", "/items/42?x=1"),
            httpRequest("POST", "/echo", headers: [("Content-Type", "application/json")], body: #"{"name":"a","count":2}"#),
            "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        ]
        var cases: [(String, [UInt8])] = []
        for index in 0..<100 {
            cases.append(("mutation \(index)", random.mutate(Array(seeds[index % seeds.count].utf8))))
        }
        try await withServer(Self.configuration) { port in
            // Some mutations still form valid requests (a changed query or body byte): any non-5xx will do.
            try await Self.expectRefused(cases, port: port, allowSuccess: true)
        }
    }
}
