import Testing
import WeftCore

@Suite("JSON canonical form")
struct JSONCanonicalTests {
    func canonical(_ text: String) throws -> String {
        String(decoding: try JSONValue.parse(text).canonicalBytes, as: UTF8.self)
    }

    @Test func memberOrderSpacingAndEscapesDoNotMatter() throws {
        let a = try canonical(#"{"b":[1,{"y":true,"x":null}],"a":"caf\u00e9 \"q\""}"#)
        let b = try canonical("{ \"a\" : \"café \\\"q\\\"\",\n\t\"b\": [ 1 , { \"x\": null, \"y\": true } ] }")
        #expect(a == b)
        #expect(a == #"{"a":"café \"q\"","b":[1,{"x":null,"y":true}]}"#)
    }

    @Test func wholeNumbersHaveOneSpelling() throws {
        #expect(try canonical("[3, 3.0, 30e-1, 0.3E1, -0.0, 1.5, 1.5E3, 1e400]") == "[3,3,3,3,0,1.5,1500,1e400]")
    }

    @Test func differentContentStaysDifferent() throws {
        #expect(try canonical(#"{"a":1}"#) != canonical(#"{"a":2}"#))
        #expect(try canonical(#"{"a":[1,2]}"#) != canonical(#"{"a":[2,1]}"#))
        #expect(try canonical(#"{"a":"1"}"#) != canonical(#"{"a":1}"#))
        #expect(try canonical(#"{"a\u0000":1}"#) == #"{"a\u0000":1}"#)
    }
}
