import Foundation
import HTTPTypes
import Hummingbird
import Logging

// Usage: HTTPPeer [PORT=18090]
// Serves what `weft serve` serves on the routes benchmarks/http-bench.sh asks for, with the
// same bodies, content types and X-Request-Id header (Hummingbird's own request id), encoded
// per request with a JSONEncoder configured as Weft's (snake_case, sorted keys). No access log:
// Hummingbird writes no line per request unless told to, which is the comparison the issue makes.

let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 18090

let encoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()

struct ProblemDocument: Encodable {
    var type = "about:blank"
    var title: String
    var status: Int
    var detail: String
    var requestId: String
}

let requestIDField = HTTPField.Name("X-Request-Id")!

func json(_ value: some Encodable, status: HTTPResponse.Status, contentType: String, requestID: String? = nil,
          extra: HTTPFields = [:]) throws -> Response {
    let body = try encoder.encode(value)
    var headers: HTTPFields = [.contentType: contentType]
    if let requestID { headers[requestIDField] = requestID }
    headers.append(contentsOf: extra)
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
}

/// The 404 problem for unknown paths and the 401 problem for /v1 without a key, as Weft
/// renders them; every response carries an X-Request-Id.
struct WeftShapedResponses<Context: RequestContext>: RouterMiddleware {
    static var unauthorizedDetail: String {
        "A valid API key is required: send it as `Authorization: Bearer <key>`. Keys are issued by an admin (`weft keys create` or POST /v1/api-keys)."
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let id = context.id  // Hummingbird's own per-request id
        let path = request.uri.path
        if path == "/v1" || path.hasPrefix("/v1/"), !(request.headers[.authorization]?.lowercased().hasPrefix("bearer ") ?? false) {
            let problem = ProblemDocument(title: "Unauthorized", status: 401, detail: Self.unauthorizedDetail, requestId: id)
            return try json(problem, status: .unauthorized, contentType: "application/problem+json", requestID: id,
                            extra: [.wwwAuthenticate: "Bearer"])
        }
        do {
            var response = try await next(request, context)
            response.headers[requestIDField] = id
            return response
        } catch let error as HTTPError where error.status == .notFound {
            let problem = ProblemDocument(title: "Not Found", status: 404, detail: "No route for \(request.method.rawValue) \(path).", requestId: id)
            return try json(problem, status: .notFound, contentType: "application/problem+json", requestID: id)
        }
    }
}

let router = Router()
router.add(middleware: WeftShapedResponses())
router.get("/healthz") { _, _ -> Response in
    try json(["status": "ok"], status: .ok, contentType: "application/json; charset=utf-8")
}

let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port)),
    logger: {
        var logger = Logger(label: "http-peer")
        logger.logLevel = .warning
        return logger
    }()
)
try await app.runService()
