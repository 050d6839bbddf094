import Foundation
import NIOCore
import Testing
import WeftHTTP

@Suite("Server connections")
struct ServerConnectionTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                for index in 1...4 {
                    try await connection.send(httpRequest("GET", "/items/\(index)"))
                    let response = try await connection.readResponse()
                    #expect(response?.status == 200)
                    #expect(response?.text == "item \(index)")
                    #expect(response?.header("connection") == nil)
                }
                #expect(!connection.sawEOF)
            }
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                // One write; the first request is the slowest, so out-of-order answers would show.
                try await connection.send(
                    httpRequest("GET", "/slow?ms=80") + httpRequest("GET", "/items/2")
                        + httpRequest("POST", "/echo", body: #"{"name":"p","count":3}"#) + httpRequest("GET", "/slow?ms=1")
                )
                var bodies: [String] = []
                for _ in 0..<4 {
                    bodies.append(try #require(try await connection.readResponse()).text)
                }
                #expect(bodies == ["slept 80", "item 2", #"{"name":"p","count":3}"#, "slept 1"])
            }
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(
                    httpRequest("GET", "/items/1", headers: [("Connection", "close")]) + httpRequest("GET", "/items/2")
                )
                let response = try await connection.readResponse()
                #expect(response?.text == "item 1")
                #expect(response?.header("connection") == "close")
                #expect(try await connection.readUntilClosed().isEmpty)
                #expect(connection.sawEOF)
            }
        }
    }

    @Test func http10ClosesUnlessKeepAliveIsAsked() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send("GET /items/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                let kept = try await connection.readResponse()
                #expect(kept?.header("connection") == "keep-alive")
                try await connection.send("GET /items/2 HTTP/1.0\r\n\r\n")
                #expect(try await connection.readResponse()?.header("connection") == "close")
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
        }
    }

    @Test func halfClosedClientStillGetsItsAnswers() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/slow?ms=30") + httpRequest("GET", "/items/5"))
                connection.finishSending()
                #expect(try await connection.readResponse()?.text == "slept 30")
                #expect(try await connection.readResponse()?.text == "item 5")
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
        }
    }

    @Test func tooManyHeaderFieldsIs431() async throws {
        try await withServer(.test { $0.maxHeaderCount = 20 }) { port in
            // Twenty fields pass (Host is one of them)...
            try await RawConnection.with(port: port) { connection in
                let fields = (1...19).map { ("X-F\($0)", "v") }
                try await connection.send(httpRequest("GET", "/hello", headers: fields))
                #expect(try await connection.readResponse()?.status == 200)
            }
            // ...twenty-one do not, however small they are.
            try await RawConnection.with(port: port) { connection in
                let fields = (1...20).map { ("X-F\($0)", "v") }
                try await connection.send(httpRequest("GET", "/hello", headers: fields))
                let response = try await connection.readResponse()
                #expect(response?.status == 431)
                #expect(try response?.json()["detail"] as? String == "The request has 21 header fields; the limit is 20.")
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
        }
    }

    @Test(arguments: [70 * 1024, 100 * 1024])
    func hugeHeadIs431(size: Int) async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/hello", headers: [("X-Big", String(repeating: "h", count: size))]))
                let response = try await connection.readResponse()
                #expect(response?.status == 431)
                #expect(response?.header("content-type") == "application/problem+json")
                #expect(try response?.json()["status"] as? Int == 431)
                #expect(response?.header("connection") == "close")
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
        }
    }

    @Test func idleConnectionIsClosed() async throws {
        // One second, not less: on a loaded machine the client may take a few hundred
        // milliseconds just to send its request, and the server would rightly hang up first.
        try await withServer(.test { $0.idleTimeout = .seconds(1) }) { port in
            // Timed from before the connection: the idle timer starts after the response, so
            // the close can never come sooner than this, however slow the machine is. The
            // request goes out from the event loop as the connection comes up, so a test task
            // waiting for a thread cannot make it arrive after the first idle deadline.
            let start = ContinuousClock.now
            try await RawConnection.with(port: port, sendingAtConnect: Array(httpRequest("GET", "/items/1").utf8)) { connection in
                let response = try await connection.readResponse()
                #expect(response?.status == 200)
                let rest = try await connection.readUntilClosed()
                #expect(rest.isEmpty)
                let waited = ContinuousClock.now - start
                // The server hung up (not the client's watchdog), and never before the idle
                // timeout: a lower bound a loaded machine can only make longer.
                #expect(connection.sawEOF)
                #expect(waited >= .seconds(1))
            }
            // A connection that never sends anything is closed too.
            try await RawConnection.with(port: port) { connection in
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
        }
    }

    @Test func slowRequestGets408() async throws {
        try await withServer(.test { $0.requestReadTimeout = .milliseconds(200) }) { port in
            // Stalled in the middle of the head.
            try await RawConnection.with(port: port) { connection in
                try await connection.send("GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow")
                let response = try await connection.readResponse()
                #expect(response?.status == 408)
                #expect(response?.header("content-type") == "application/problem+json")
                #expect(response?.header("connection") == "close")
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
            // Stalled in the middle of the body.
            try await RawConnection.with(port: port) { connection in
                try await connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
                let response = try await connection.readResponse()
                #expect(response?.status == 408)
                #expect(try response?.json()["status"] as? Int == 408)
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
        }
    }

    @Test func malformedRequestsGet400AndTheServerCarriesOn() async throws {
        try await withServer { port in
            let garbage: [[UInt8]] = [
                Array("\u{1}\u{2}GARBAGE \u{7F}\r\n\r\n".utf8),
                Array("GET / HTTP/9.9\r\n\r\n".utf8),
                Array("POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n".utf8),
                Array("GET /hello HTTP/1.1\r\nBad Header Name: x\r\n\r\n".utf8),
                (0..<2048).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) },
            ]
            for bytes in garbage {
                try await RawConnection.with(port: port) { connection in
                    try await connection.send(bytes)
                    let response = try await connection.readResponse()
                    #expect(response?.status == 400, "\(bytes.prefix(40))")
                    #expect(response?.header("content-type") == "application/problem+json")
                    _ = try await connection.readUntilClosed()
                    #expect(connection.sawEOF)
                }
            }
            // A garbage-free request on a new connection still works.
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/hello"))
                #expect(try await connection.readResponse()?.status == 200)
            }
        }
    }

    @Test func connectionsBeyondTheLimitAreClosed() async throws {
        try await withServer(.test { $0.maxConnections = 1 }) { port in
            try await RawConnection.with(port: port) { first in
                try await first.send(httpRequest("GET", "/items/1"))
                #expect(try await first.readResponse()?.status == 200)

                try await RawConnection.with(port: port) { second in
                    try await second.send(httpRequest("GET", "/items/2"))
                    #expect(try await second.readResponse() == nil)
                    #expect(second.sawEOF)
                }

                try await first.send(httpRequest("GET", "/items/3"))
                #expect(try await first.readResponse()?.text == "item 3")
            }
        }
    }
}
