import Foundation
import NIOHTTP1
import Testing
@testable import WeftHTTP

/// Runs `body` and returns the HTTPError it throws.
private func httpError(_ body: () throws -> Void) -> HTTPError? {
    do {
        try body()
        return nil
    } catch {
        return error as? HTTPError
    }
}

@Suite("Request")
struct RequestTests {
    @Test func queryIsParsedAndDecoded() throws {
        let request = try Request(method: .GET, uri: "/v1/x?a=1&b=x%20y&a=2&flag&c=a+b&e=", logger: quietLogger)
        #expect(request.path == "/v1/x")
        #expect(request.query["a"] == "1")
        #expect(request.query.values("a") == ["1", "2"])
        #expect(request.query["b"] == "x y")
        #expect(request.query["flag"] == "")
        #expect(request.query["c"] == "a b")
        #expect(request.query["e"] == "")
        #expect(request.query["missing"] == nil)
        #expect(request.query.names == ["a", "b", "flag", "c", "e"])
    }

    @Test func malformedQueryEncodingIs400NamingTheParameter() {
        let error = httpError { _ = try Request(method: .GET, uri: "/x?limit=%G1", logger: quietLogger) }
        #expect(error?.status == .badRequest)
        #expect(error?.detail.contains("'limit'") == true)
    }

    @Test func pathIsNotDecodedAndAbsoluteFormIsAccepted() throws {
        #expect(try Request(method: .GET, uri: "/files/a%20b?x=1", logger: quietLogger).path == "/files/a%20b")
        let absolute = try Request(method: .GET, uri: "http://example.com:8080/v1/y?z=2", logger: quietLogger)
        #expect(absolute.path == "/v1/y")
        #expect(absolute.query["z"] == "2")
    }

    @Test func clientRequestIDIsKeptOnlyWhenSafe() throws {
        let kept = try Request(method: .GET, uri: "/", headers: ["X-Request-Id": "abc-123.X_y"], logger: quietLogger)
        #expect(kept.requestID == "abc-123.X_y")

        for bad in ["has space", "semi;colon", String(repeating: "a", count: 129), ""] {
            let replaced = try Request(method: .GET, uri: "/", headers: ["X-Request-Id": bad], logger: quietLogger)
            #expect(isGeneratedRequestID(replaced.requestID), "\(bad) should be replaced")
        }
        #expect(RequestID.accept(String(repeating: "a", count: 128)) != nil)
        #expect(RequestID.generate() != RequestID.generate())
    }
}

@Suite("Problems and JSON")
struct ProblemTests {
    @Test func problemDocumentHasTheRFC9457Shape() throws {
        let error = HTTPError(
            .unprocessableEntity,
            detail: "quantity must be positive",
            type: HTTPError.validationType,
            errors: [FieldError(field: "quantity", message: "must be at least 1")],
            headers: ["Retry-After": "5"]
        )
        let response = Response.problem(error, requestID: "req-1")
        #expect(response.status == .unprocessableEntity)
        #expect(response.headers.first(name: "content-type") == "application/problem+json")
        #expect(response.headers.first(name: "retry-after") == "5")
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(
            text == #"{"detail":"quantity must be positive","errors":[{"field":"quantity","message":"must be at least 1"}],"#
                + #""request_id":"req-1","status":422,"title":"Unprocessable Entity","type":"https://weft.dev/problems/validation"}"#
        )
    }

    @Test func problemWithoutFieldErrorsOmitsErrors() throws {
        let response = Response.problem(HTTPError(.conflict, detail: "taken"), requestID: "r")
        let object = try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
        #expect(object?["errors"] == nil)
        #expect(object?["type"] as? String == "about:blank")
        #expect(object?["title"] as? String == "Conflict")
    }

    @Test func convertibleErrorsMapThemselvesAndOthersAre500() throws {
        struct Gone: HTTPErrorConvertible {
            var httpError: HTTPError { HTTPError(.gone, detail: "gone for good") }
        }
        let recorder = LogRecorder()
        let request = try Request(method: .GET, uri: "/", requestID: "rid", logger: recorder.logger)

        #expect(Response.problem(for: Gone(), request: request).status == .gone)
        #expect(recorder.entries.isEmpty)

        let failure = Response.problem(for: PlainError(), request: request)
        #expect(failure.status == .internalServerError)
        let object = try JSONSerialization.jsonObject(with: Data(failure.body)) as? [String: Any]
        #expect(object?["detail"] as? String == "internal error; quote request id rid when reporting it.")
        let logged = recorder.entries.filter { $0.level == .error }
        #expect(logged.count == 1)
        #expect(logged.first?.metadata["error"].map { "\($0)" }?.contains("PlainError") == true)
        #expect(logged.first?.metadata["request_id"] == "rid")
    }

    @Test func jsonUsesSnakeCaseSortedKeysAndISODates() throws {
        struct Sample: Encodable {
            var zetaValue = 1
            var alphaValue = "a"
            var when = Date(timeIntervalSince1970: 0)
        }
        let response = try Response.json(Sample(), status: .created)
        #expect(response.status == .created)
        #expect(response.headers.first(name: "content-type") == "application/json; charset=utf-8")
        #expect(
            String(decoding: response.body, as: UTF8.self)
                == #"{"alpha_value":"a","when":"1970-01-01T00:00:00Z","zeta_value":1}"#
        )
    }
}
