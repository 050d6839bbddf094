import Foundation
import Testing
@testable import WeftHTTP

/// Problem documents are written by hand for speed; they must be the bytes JSONEncoder writes.
@Suite("Problem documents: hand-written JSON equals the encoder's")
struct ProblemJSONTests {
    static let awkward = "q\"uote \\ back/slash\nnew\rret\ttab\u{8}\u{c}\u{1}\u{1f}\u{7f} é \u{2028} 😀"

    static let documents: [ProblemDocument] = [
        ProblemDocument(type: "about:blank", title: "Not Found", status: 404, detail: "No route for GET /x.", errors: nil, requestId: "0123456789abcdef"),
        ProblemDocument(type: HTTPError.validationType, title: "Unprocessable Entity", status: 422, detail: awkward,
                        errors: [FieldError(field: "lines[0].qty", message: awkward), FieldError(field: "", message: "")], requestId: nil),
        ProblemDocument(type: awkward, title: awkward, status: 500, detail: "", errors: [], requestId: awkward),
    ]

    @Test(arguments: documents)
    func sameBytesAsJSONEncoder(_ document: ProblemDocument) throws {
        let encoded = Array(try JSON.encoder.encode(document))
        #expect(document.json == encoded, "\(String(decoding: document.json, as: UTF8.self)) vs \(String(decoding: encoded, as: UTF8.self))")
    }

    @Test func everyControlCharacterAndSomeOthersEscapeAlike() throws {
        let all = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        let document = ProblemDocument(type: all, title: all, status: 400, detail: all, errors: nil, requestId: all)
        #expect(document.json == Array(try JSON.encoder.encode(document)))
    }
}
