import Testing
@testable import WeftCore

@Suite("Object reader")
struct ObjectReaderTests {
    @Test func readsNestedArraysWithFullPaths() throws {
        let json = try JSONValue.parse(#"{"lines":[{"tags":["ok","BAD"],"when":"2025-01-01"},{"tags":[],"when":"2025-01-32"}]}"#)
        var r = ObjectReader(json, path: "plan")
        let lines = r.objects("lines", required: true, count: 1...10) { line -> Int? in
            let tags = line.array("tags", count: 0...5) { $0.code(.capability) }
            let when = line.day("when", required: true)
            guard let tags, when != nil else { return nil }
            return tags.count
        }
        r.finish()
        #expect(lines == nil)
        #expect(r.issues == [
            FieldIssue(field: "plan.lines[0].tags[1]", message: DomainMessages.capability),
            FieldIssue(field: "plan.lines[1].when", message: DomainMessages.day),
        ])
    }

    @Test func customChecksUseReportAndPaths() throws {
        var r = ObjectReader(try JSONValue.parse(#"{"a":1,"b":2}"#))
        let a = r.int("a", in: 0...9)
        let b = r.int("b", in: 0...9)
        if let a, let b, a >= b { r.report("a", "must be less than b") }
        r.report("", "whole-body remark")
        #expect(r.path(for: "a") == "a")
        r.finish()
        #expect(r.issues == [FieldIssue(field: "", message: "whole-body remark")])
        let element = ObjectReader(.array([]), path: "x[3]")
        #expect(element.issues == [FieldIssue(field: "x[3]", message: "must be an object")])
    }

    @Test func nullPolicies() throws {
        let json = try JSONValue.parse(#"{"n":null}"#)
        var lenient = ObjectReader(json)
        #expect(lenient.int("n", in: 0...1) == nil)
        lenient.finish()
        #expect(lenient.issues.isEmpty)

        var strict = ObjectReader(json, nulls: .refused)
        #expect(strict.int("n", in: 0...1) == nil)
        strict.finish()
        #expect(strict.issues == [FieldIssue(field: "n", message: DomainMessages.notNull)])

        var clearing = ObjectReader(json, nulls: .refused)
        let isNull = clearing.isNull("n")
        let absentIsNull = clearing.isNull("absent")
        #expect(isNull && !absentIsNull)
        clearing.finish()
        #expect(clearing.issues.isEmpty)
    }

    @Test func unknownFieldsBeyondSixtyFourMembers() throws {
        // Bit tracking covers the first 64 members; later ones must still be judged correctly.
        let filler = (0..<70).map { "\"f\($0)\":0" }.joined(separator: ",")
        var r = ObjectReader(try JSONValue.parse("{\(filler),\"name\":\"x\"}"))
        #expect(r.string("name") == "x")
        for index in 0..<69 { _ = r.int("f\(index)", in: 0...0) }
        r.finish()
        #expect(r.issues == [FieldIssue(field: "f69", message: "unknown field")])
    }

    @Test func enumerationsAndOneOf() throws {
        var r = ObjectReader(try JSONValue.parse(#"{"role":"broker","mode":"x"}"#))
        #expect(r.enumeration("role", as: APIKeyRole.self) == .broker)
        #expect(r.oneOf("mode", ["a", "b"]) == nil)
        #expect(r.issues == [FieldIssue(field: "mode", message: "must be one of: a, b")])
    }

    @Test func stringLengthCountsCharactersNotBytes() throws {
        var r = ObjectReader(try JSONValue.parse("{\"name\":\"\(String(repeating: "中", count: 200))\"}"))
        #expect(r.string("name")?.unicodeScalars.count == 200)
        #expect(r.issues.isEmpty)
    }

    /// The one day parser, from a string and from bytes alike (PostgreSQL's text comes as bytes).
    @Test(arguments: [("2024-02-29", true), ("2023-02-29", false), ("0000-01-01", false), ("0001-01-01", true), ("9999-12-31", true),
                      ("2025-1-01", false), ("2025-01-1x", false), ("2025/01/01", false), ("+025-01-01", false), ("2025-00-10", false),
                      ("2025-04-31", false), ("", false), ("2025-01-010", false), ("２０２５-01-01", false)])
    func daysAreExactlyRealISODates(_ text: String, _ valid: Bool) {
        let day = Day(iso: text)
        #expect((day != nil) == valid)
        #expect(day.map(\.iso) == (valid ? text : nil))
        #expect(Day(isoUTF8: Array(text.utf8)) == day)
        #expect(Day(isoUTF8: Array(text.utf8)[...]) == day)
    }

    @Test func validationFailureCapsItsList() {
        let many = (0..<250).map { FieldIssue(field: "f\($0)", message: "m") }
        let failure = ValidationFailure(capping: many)
        #expect(failure.issues.count == 100)
        #expect(failure.issues[99] == FieldIssue(field: "", message: "and 151 more problems like those above"))
        #expect(ValidationFailure(capping: Array(many.prefix(100))).issues.count == 100)
        #expect(ValidationFailure(field: "a", message: "b").description == "a: b")
    }
}
