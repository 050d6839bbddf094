import Foundation
import Logging
import NIOCore
import Testing
import WeftHTTP

/// Checks the problem+json contract on a response read off the wire.
private func expectProblem(_ response: RawResponse?, status: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let response = try #require(response, sourceLocation: sourceLocation)
    #expect(response.status == status, sourceLocation: sourceLocation)
    #expect(response.header("content-type") == "application/problem+json", sourceLocation: sourceLocation)
    let requestID = try #require(response.header("x-request-id"), sourceLocation: sourceLocation)
    let problem = try response.json()
    #expect(problem["status"] as? Int == status, sourceLocation: sourceLocation)
    #expect(problem["request_id"] as? String == requestID, sourceLocation: sourceLocation)
    #expect(problem["type"] is String, sourceLocation: sourceLocation)
    #expect(problem["title"] is String, sourceLocation: sourceLocation)
    #expect((problem["detail"] as? String)?.isEmpty == false, sourceLocation: sourceLocation)
}

@Suite("Server responses")
struct ServerResponseTests {
    @Test func jsonRouteAnswers200WithRequestID() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/hello"))
                let response = try #require(try await connection.readResponse())
                #expect(response.status == 200)
                #expect(response.header("content-type") == "application/json; charset=utf-8")
                #expect(response.header("content-length") == "19")
                #expect(response.text == #"{"message":"hello"}"#)
                #expect(isGeneratedRequestID(response.header("x-request-id")))
            }
        }
    }

    @Test func clientRequestIDIsEchoedAndBadOnesReplaced() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/hello", headers: [("X-Request-Id", "trace-42.a_b")]))
                #expect(try await connection.readResponse()?.header("x-request-id") == "trace-42.a_b")

                try await connection.send(httpRequest("GET", "/nope", headers: [("X-Request-Id", "bad id!")]))
                let response = try await connection.readResponse()
                #expect(isGeneratedRequestID(response?.header("x-request-id")))
                #expect(try response?.json()["request_id"] as? String == response?.header("x-request-id"))
            }
        }
    }

    @Test func errorsAreProblemDocuments() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/missing"))
                try expectProblem(try await connection.readResponse(), status: 404)

                try await connection.send(httpRequest("DELETE", "/hello"))
                let notAllowed = try await connection.readResponse()
                try expectProblem(notAllowed, status: 405)
                #expect(notAllowed?.header("allow") == "GET, HEAD")

                try await connection.send(httpRequest("GET", "/items/1?limit=%zz"))
                let badQuery = try await connection.readResponse()
                try expectProblem(badQuery, status: 400)
                #expect(try badQuery?.json()["detail"] as? String == "Query parameter 'limit' has malformed percent-encoding (use %XX with two hex digits, UTF-8).")

                // Still the same connection: errors do not end keep-alive.
                try await connection.send(httpRequest("POST", "/echo", body: #"{"name": "x", "count": 2}"#))
                let created = try await connection.readResponse()
                #expect(created?.status == 201)
                #expect(created?.text == #"{"name": "x", "count": 2}"#)
            }
        }
    }

    @Test func unexpectedErrorIs500QuotingTheRequestID() async throws {
        let recorder = LogRecorder()
        try await withServer(logger: recorder.logger) { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/fail", headers: [("X-Request-Id", "oops-1")]))
                let response = try await connection.readResponse()
                try expectProblem(response, status: 500)
                #expect(try response?.json()["detail"] as? String == "internal error; quote request id oops-1 when reporting it.")
            }
        }
        let errors = recorder.entries.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.metadata["request_id"] == "oops-1")
    }

    @Test func oneAccessLogLinePerRequest() async throws {
        let recorder = LogRecorder()
        try await withServer(logger: recorder.logger) { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/items/7?x=1", headers: [("X-Request-Id", "log-1")]))
                _ = try await connection.readResponse()
                try await connection.send(httpRequest("GET", "/nothing", headers: [("X-Request-Id", "log-2")]))
                _ = try await connection.readResponse()
            }
        }
        let lines = recorder.entries.filter { $0.level == .info && $0.metadata["http.status"] != nil }
        #expect(lines.count == 2)
        let first = try #require(lines.first)
        #expect(first.metadata["http.method"] == "GET")
        #expect(first.metadata["http.path"] == "/items/7")
        #expect(first.metadata["http.route"] == "/items/{id}")
        #expect(first.metadata["http.status"] == "200")
        #expect(first.metadata["request_id"] == "log-1")
        #expect(first.metadata["bytes_out"] == "6")
        #expect(first.metadata["latency_ms"].flatMap { Double("\($0)") } != nil)
        #expect(lines.last?.metadata["http.status"] == "404")
        #expect(lines.last?.metadata["http.route"] == "-")
    }

    @Test func headGetsHeadersWithoutBody() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("HEAD", "/hello"))
                let head = try #require(try await connection.readHeadResponse())
                #expect(head.status == 200)
                #expect(head.header("content-length") == "19")
                // Had a body been sent, this would parse it as the next response.
                try await connection.send(httpRequest("GET", "/items/1"))
                #expect(try await connection.readResponse()?.text == "item 1")
            }
        }
    }

    @Test func noContentResponseHasNoBody() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("DELETE", "/items/3") + httpRequest("GET", "/items/4"))
                let deleted = try #require(try await connection.readResponse())
                #expect(deleted.status == 204)
                #expect(deleted.header("content-length") == nil)
                #expect(try await connection.readResponse()?.text == "item 4")
            }
        }
    }

    @Test func headerInjectionIsRefusedNotSent() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/bad-header"))
                let bytes = try await connection.readUntilClosed()
                #expect(!String(decoding: bytes, as: UTF8.self).contains("Injected"))
                #expect(connection.sawEOF)
            }
            // The server is unharmed.
            try await RawConnection.with(port: port) { connection in
                try await connection.send(httpRequest("GET", "/hello"))
                #expect(try await connection.readResponse()?.status == 200)
            }
        }
    }

    @Test func oversizedBodyIs413ThenClose() async throws {
        try await withServer { port in
            // Declared too large: refused before any body is read (default 8 MiB limit).
            try await RawConnection.with(port: port) { connection in
                try await connection.send(
                    "POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n" + String(repeating: "a", count: 4096)
                )
                let response = try await connection.readResponse()
                try expectProblem(response, status: 413)
                #expect(response?.header("connection") == "close")
                #expect(try await connection.readUntilClosed().isEmpty)
                #expect(connection.sawEOF)
            }
        }
    }

    @Test func oversizedChunkedBodyIs413() async throws {
        try await withServer(.test { $0.maxBodySize = 1000 }) { port in
            try await RawConnection.with(port: port) { connection in
                let chunk = String(repeating: "b", count: 600)
                try await connection.send(
                    "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"
                )
                try expectProblem(try await connection.readResponse(), status: 413)
                _ = try await connection.readUntilClosed()
                #expect(connection.sawEOF)
            }
            // Within the limit, chunked bodies are reassembled.
            try await RawConnection.with(port: port) { connection in
                try await connection.send(
                    "POST /upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n3\r\nabc\r\n0\r\n\r\n"
                )
                #expect(try await connection.readResponse()?.text == "received 8")
            }
        }
    }

    @Test func expectContinueIsHonoured() async throws {
        try await withServer { port in
            try await RawConnection.with(port: port) { connection in
                try await connection.send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
                let interim = try #require(try await connection.readHeadResponse())
                #expect(interim.status == 100)
                try await connection.send("abc")
                #expect(try await connection.readResponse()?.text == "received 3")
            }
        }
    }
}
