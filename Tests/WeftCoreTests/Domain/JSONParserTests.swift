import Testing
import WeftFuzzSupport
@testable import WeftCore

@Suite("JSON parser")
struct JSONParserTests {
    struct Valid: Sendable, CustomTestStringConvertible {
        var input: String
        var expected: JSONValue
        var testDescription: String { input }
    }

    @Test(arguments: [
        Valid(input: "{}", expected: .object(JSONObject())),
        Valid(input: "[]", expected: .array([])),
        Valid(input: " \t\r\n null \n", expected: .null),
        Valid(input: "true", expected: .bool(true)),
        Valid(input: "false", expected: .bool(false)),
        Valid(input: "0", expected: .integer(0)),
        Valid(input: "-0", expected: .integer(0)),
        Valid(input: "-12", expected: .integer(-12)),
        Valid(input: "9223372036854775807", expected: .integer(.max)),
        Valid(input: "-9223372036854775808", expected: .integer(.min)),
        Valid(input: "9223372036854775808", expected: .number("9223372036854775808")),
        Valid(input: "-9223372036854775809", expected: .number("-9223372036854775809")),
        Valid(input: "123456789012345678901234567890", expected: .number("123456789012345678901234567890")),
        Valid(input: "1.5", expected: .number("1.5")),
        Valid(input: "-0.25e-3", expected: .number("-0.25e-3")),
        Valid(input: "1E+3", expected: .number("1E+3")),
        Valid(input: "1.0", expected: .number("1.0")),
        Valid(input: #""a\"b\\c\/d\b\f\n\r\t""#, expected: .string("a\"b\\c/d\u{8}\u{C}\n\r\t")),
        Valid(input: #""\u00e9\u00E9""#, expected: .string("éé")),
        Valid(input: #""\ud83d\ude00""#, expected: .string("😀")),
        Valid(input: #""\u0000""#, expected: .string("\u{0}")),
        Valid(input: "\"é😀中\"", expected: .string("é😀中")),
        Valid(input: #""x\u00e9y😀z""#, expected: .string("xéy😀z")),
        Valid(input: #"[1, "a", [true], {"k": null}]"#,
              expected: .array([.integer(1), .string("a"), .array([.bool(true)]),
                                .object(JSONObject([.init(key: "k", value: .null)]))])),
        Valid(input: #"{"b": 1, "a": 2, "": 3}"#,
              expected: .object(JSONObject([.init(key: "b", value: .integer(1)), .init(key: "a", value: .integer(2)),
                                            .init(key: "", value: .integer(3))]))),
    ])
    func parsesValidDocuments(_ row: Valid) throws {
        #expect(try JSONValue.parse(row.input) == row.expected)
    }

    @Test func keepsKeyOrderAndLooksUpKeys() throws {
        guard case .object(let object) = try JSONValue.parse(#"{"z":1,"y":{"x":[2]},"a":"s"}"#) else {
            Issue.record("not an object")
            return
        }
        #expect(object.map(\.key) == ["z", "y", "a"])
        #expect(object["a"] == .string("s"))
        #expect(object["missing"] == nil)
    }

    /// JSON Schema counts `3.0` and `3e0` as the integer 3, so generated clients send them;
    /// only numbers whose decimal text is exactly whole (and fits in Int64) convert.
    @Test(arguments: [
        ("3", Int64?.some(3)), ("3.0", 3), ("-3.000", -3), ("3e0", 3), ("30e-1", 3), ("0.05e2", 5), ("1E3", 1000),
        ("1e+3", 1000), ("12.50e1", 125), ("0.0", 0), ("-0e5", 0), ("0e-99999999999999999999", 0),
        ("9223372036854775807.0", .max), ("-9223372036854775808.0", .min), ("922337203685477580.7e1", .max),
        ("1.5", nil), ("1e-1", nil), ("25e-1", nil), ("9223372036854775808.0", nil), ("-9223372036854775809e0", nil),
        ("1e19", nil), ("1e400", nil), ("1e99999999999999999999", nil),
    ] as [(String, Int64?)])
    func wholeNumbersConvertExactly(_ text: String, _ expected: Int64?) throws {
        #expect(try JSONValue.parse(text).exactInteger == expected)
    }

    @Test func onlyNumbersHaveAnExactInteger() throws {
        #expect(try JSONValue.parse("\"3\"").exactInteger == nil)
        #expect(try JSONValue.parse("true").exactInteger == nil)
        #expect(try JSONValue.parse("null").exactInteger == nil)
    }

    @Test func numbersConvertToDouble() throws {
        #expect(try JSONValue.parse("-1.5e2").doubleValue == -150)
        #expect(try JSONValue.parse("7").doubleValue == 7)
        #expect(try JSONValue.parse("1e999").doubleValue == .infinity)
        #expect(try JSONValue.parse("\"7\"").doubleValue == nil)
    }

    struct Invalid: Sendable, CustomTestStringConvertible {
        var input: [UInt8]
        var kind: JSONParseError.Kind
        var offset: Int
        var message: String
        init(_ text: String, _ kind: JSONParseError.Kind, _ offset: Int, _ message: String) {
            self.init(bytes: Array(text.utf8), kind, offset, message)
        }
        init(bytes: [UInt8], _ kind: JSONParseError.Kind, _ offset: Int, _ message: String) {
            self.input = bytes
            self.kind = kind
            self.offset = offset
            self.message = message
        }
        var testDescription: String { String(decoding: input.prefix(40), as: UTF8.self) }
    }

    @Test(arguments: [
        Invalid("", .empty, 0, "expected a JSON value but the input is empty"),
        Invalid("  \n ", .empty, 0, "expected a JSON value but the input is empty"),
        Invalid(#"{"a":1,}"#, .unexpectedCharacter, 7, "unexpected character '}' at offset 7; expected a key in double quotes"),
        Invalid("[1,]", .unexpectedCharacter, 3, "unexpected character ']' at offset 3; expected a value"),
        Invalid("[1 2]", .unexpectedCharacter, 3, "unexpected character '2' at offset 3; expected ',' or ']'"),
        Invalid(#"{"a" 1}"#, .unexpectedCharacter, 5, "unexpected character '1' at offset 5; expected ':'"),
        Invalid(#"{"a":1 "b":2}"#, .unexpectedCharacter, 7, "unexpected character '\"' at offset 7; expected ',' or '}'"),
        Invalid("{a:1}", .unexpectedCharacter, 1, "unexpected character 'a' at offset 1; expected a key in double quotes"),
        Invalid("{'a':1}", .unexpectedCharacter, 1, "unexpected character ''' at offset 1; expected a key in double quotes"),
        Invalid("// c\n{}", .unexpectedCharacter, 0, "unexpected character '/' at offset 0; expected a value"),
        Invalid("NaN", .unexpectedCharacter, 0, "unexpected character 'N' at offset 0; expected a value"),
        Invalid("+1", .unexpectedCharacter, 0, "unexpected character '+' at offset 0; expected a value"),
        Invalid(".5", .unexpectedCharacter, 0, "unexpected character '.' at offset 0; expected a value"),
        Invalid("trux", .unexpectedCharacter, 3, "unexpected character 'x' at offset 3; expected 'true'"),
        Invalid("[1,2", .unexpectedEnd, 4, "unexpected end of input at offset 4; expected ',' or ']'"),
        Invalid("{\"a\":", .unexpectedEnd, 5, "unexpected end of input at offset 5; expected a value"),
        Invalid("{", .unexpectedEnd, 1, "unexpected end of input at offset 1; expected a key in double quotes"),
        Invalid("nul", .unexpectedEnd, 3, "unexpected end of input at offset 3; expected 'null'"),
        Invalid("\"abc", .unterminatedString, 0, "unterminated string at offset 0"),
        Invalid(#"{"name": "abc"#, .unterminatedString, 9, "unterminated string at offset 9"),
        Invalid(#""é\"#, .unterminatedString, 0, "unterminated string at offset 0"),
        Invalid(#""a\qb""#, .invalidEscape, 2, #"invalid escape '\q' in string at offset 2"#),
        Invalid(#""\u12""#, .invalidUnicodeEscape, 1, #"invalid \u escape at offset 1; it needs four hex digits"#),
        Invalid(#""\u12"#, .invalidUnicodeEscape, 1, #"incomplete \u escape at offset 1; it needs four hex digits"#),
        Invalid(#""\ud800""#, .invalidUnicodeEscape, 1,
                #"unpaired surrogate \uD800 at offset 1; characters above U+FFFF need a high and a low surrogate"#),
        Invalid(#""\udc00""#, .invalidUnicodeEscape, 1,
                #"unpaired surrogate \uDC00 at offset 1; characters above U+FFFF need a high and a low surrogate"#),
        Invalid(#""\ud800\u0041""#, .invalidUnicodeEscape, 1,
                #"unpaired surrogate \uD800 at offset 1; characters above U+FFFF need a high and a low surrogate"#),
        Invalid("\"a\nb\"", .controlCharacter, 2,
                #"unescaped control character 0x0A in string at offset 2; write it as an escape such as \n or \u00XX"#),
        Invalid(bytes: [0x22, 0xFF, 0x22], .invalidUTF8, 1, "invalid UTF-8 at offset 1"),
        Invalid(bytes: [0x22, 0x41, 0xC0, 0xAF, 0x22], .invalidUTF8, 2, "invalid UTF-8 at offset 2"),  // overlong '/'
        Invalid(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, 1, "invalid UTF-8 at offset 1"),  // UTF-16 surrogate
        Invalid(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8, 1, "invalid UTF-8 at offset 1"),  // > U+10FFFF
        Invalid(bytes: [0x22, 0xE2, 0x82, 0x22], .invalidUTF8, 1, "invalid UTF-8 at offset 1"),  // truncated
        Invalid(bytes: [0x22, 0xE2, 0x82], .invalidUTF8, 1, "invalid UTF-8 at offset 1"),  // truncated at the end
        Invalid(bytes: [0x22, 0x80, 0x22], .invalidUTF8, 1, "invalid UTF-8 at offset 1"),  // lone continuation byte
        Invalid(bytes: [0x5B, 0xFF, 0x5D], .invalidUTF8, 1, "invalid UTF-8 at offset 1"),  // outside a string
        Invalid(bytes: [0xEF, 0xBB, 0xBF, 0x7B, 0x7D], .unexpectedCharacter, 0, "unexpected byte 0xEF at offset 0; expected a value"),
        Invalid("01", .invalidNumber, 0, "invalid number at offset 0: leading zeros are not allowed"),
        Invalid("[-]", .invalidNumber, 1, "invalid number at offset 1: a digit must follow '-'"),
        Invalid("1.", .invalidNumber, 0, "invalid number at offset 0: a digit must follow '.'"),
        Invalid("1.e5", .invalidNumber, 0, "invalid number at offset 0: a digit must follow '.'"),
        Invalid("2e", .invalidNumber, 0, "invalid number at offset 0: the exponent needs at least one digit"),
        Invalid("2e+", .invalidNumber, 0, "invalid number at offset 0: the exponent needs at least one digit"),
        Invalid(#"{"a":1,"a":2}"#, .duplicateKey, 7, "duplicate key 'a' at offset 7"),
        Invalid(#"{"a":{"b":1,"b":1}}"#, .duplicateKey, 12, "duplicate key 'b' at offset 12"),
        Invalid("[1] [2]", .trailingData, 4, "unexpected character '[' at offset 4 after the end of the JSON value"),
        Invalid("{}x", .trailingData, 2, "unexpected character 'x' at offset 2 after the end of the JSON value"),
        Invalid("1 2", .trailingData, 2, "unexpected character '2' at offset 2 after the end of the JSON value"),
        Invalid("12a", .trailingData, 2, "unexpected character 'a' at offset 2 after the end of the JSON value"),
        Invalid("{}\0", .trailingData, 2, "unexpected byte 0x00 at offset 2 after the end of the JSON value"),
    ])
    func refusesInvalidDocuments(_ row: Invalid) {
        #expect(throws: JSONParseError(kind: row.kind, offset: row.offset, message: row.message)) {
            try JSONValue.parse(row.input)
        }
    }

    @Test func duplicateKeyFoundInLargeObjects() {
        // Past 16 members the parser switches from a linear scan to a set; both must work.
        let members = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let text = "{\(members),\"k3\":0}"
        let offset = text.utf8.count - 7
        #expect(throws: JSONParseError(kind: .duplicateKey, offset: offset, message: "duplicate key 'k3' at offset \(offset)")) {
            try JSONValue.parse(text)
        }
        #expect(throws: Never.self) { try JSONValue.parse("{\(members)}") }
    }

    @Test func nestingUpToTheLimitIsFine() throws {
        let deep = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        _ = try JSONValue.parse(deep)
        let deepObjects = String(repeating: #"{"a":"#, count: 63) + "[1]" + String(repeating: "}", count: 63)
        _ = try JSONValue.parse(deepObjects)
    }

    @Test func nestingBeyondTheLimitIsRefused() {
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(throws: JSONParseError(kind: .tooDeep, offset: 64,
                                       message: "nested too deeply at offset 64 (more than 64 levels of arrays and objects)")) {
            try JSONValue.parse(tooDeep)
        }
        // A hostile body must fail fast, not overflow the stack.
        let hostile = String(repeating: #"{"a":["#, count: 200_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(hostile) }
        #expect(throws: JSONParseError(kind: .tooDeep, offset: 2, message: "nested too deeply at offset 2 (more than 2 levels of arrays and objects)")) {
            try JSONValue.parse("[[[]]]", maxDepth: 2)
        }
    }

    @Test func errorDescriptionIsTheMessage() {
        do {
            _ = try JSONValue.parse("[x]")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "unexpected character 'x' at offset 1; expected a value")
            #expect(error.offset == 1)
        }
    }

    @Test func mutatedDocumentsNeverCrash() {
        // Deterministic fuzzing: flip, drop and duplicate bytes of a valid body; every
        // variant must parse or throw, and validating what parses must not trap either.
        let seed = Array(#"{"capability":"pcb.fab","quantity":12,"due_date":"2025-03-01","regions":["CN-GD"],"reference":"x\u00e9\ud83d\ude00","lat":-1.5e2}"#.utf8)
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        let interesting: [UInt8] = [0x00, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x2C, 0x3A, 0x2D, 0x30, 0x65, 0x75, 0x80, 0xC3, 0xED, 0xF4, 0xFF]
        var parsed = 0
        for _ in 0..<5_000 {
            let bytes = random.mutate(seed, alphabet: interesting)
            if let json = try? JSONValue.parse(bytes) {
                parsed += 1
                _ = try? OrderInput.parse(json)
                _ = try? FactoryPatch.parse(json)
            }
        }
        #expect(parsed > 0)
    }

    @Test func parsesALargeDocumentCompletely() throws {
        // 20,000 members, as a full capacity upload: every one is there and alike, none merged
        // or dropped. (How fast is a benchmark's question, not a test's.)
        let element = #"{"capability":"pcb.fab","date":"2025-03-01","units":120,"unit_cost":350,"note":"caf\u00e9 ok é"}"#
        let text = "[" + Array(repeating: element, count: 20_000).joined(separator: ",") + "]"
        guard case .array(let elements) = try JSONValue.parse(text) else {
            Issue.record("not an array")
            return
        }
        #expect(elements.count == 20_000)
        let first = try JSONValue.parse(element)
        #expect(elements.allSatisfy { $0 == first })
        guard case .object(let last) = elements[19_999] else {
            Issue.record("not an object")
            return
        }
        #expect(last["note"] == .string("café ok é"))
        #expect(last["units"] == .integer(120))
    }

    /// Random byte strings, biased towards JSON's own characters: the parser answers each
    /// with a value or a ``JSONParseError`` whose offset lies inside the input, never a trap.
    @Test func randomBytesGetAValueOrATypedError() {
        var random = JSONFuzz(seed: 0x4A53_4F4E)
        let alphabet = Array(#"{}[]:,"\ -+.0123456789eEtrufalsn"#.utf8) + [0x00, 0x09, 0x0A, 0x7F, 0x80, 0xBF, 0xC3, 0xE2, 0xED, 0xF0, 0xF4, 0xFF]
        var values = 0, errors = 0
        for _ in 0..<20_000 {
            let count = random.below(24)
            let bytes = (0..<count).map { _ in random.below(4) == 0 ? UInt8(truncatingIfNeeded: random.next()) : alphabet[random.below(alphabet.count)] }
            do {
                _ = try JSONValue.parse(bytes)
                values += 1
            } catch {
                errors += 1
                #expect((0...bytes.count).contains(error.offset), "\(bytes): offset \(error.offset)")
                #expect(!error.message.isEmpty)
            }
        }
        #expect(values > 0 && errors > 0)
    }

    /// Random documents written out and parsed back are the same value; mutated, they still
    /// give a value or a typed error.
    @Test func generatedDocumentsRoundTripAndTheirMutationsNeverTrap() throws {
        var random = JSONFuzz(seed: 0x5745_4654)
        var mutatedValues = 0
        for _ in 0..<2_000 {
            let value = random.value(depth: 0)
            let text = JSONFuzz.write(value)
            #expect(try JSONValue.parse(text) == value, "\(text)")
            let bytes = random.mutate(Array(text.utf8), maxEdits: 3)
            do {
                _ = try JSONValue.parse(bytes)
                mutatedValues += 1
            } catch {
                #expect((0...bytes.count).contains(error.offset))
            }
        }
        #expect(mutatedValues > 0)
    }
}

/// Random JSON for the fuzz tests, from a seeded generator (the same cases on every run).
struct JSONFuzz {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { random.next() }
    mutating func below(_ bound: Int) -> Int { random.below(bound) }
    mutating func mutate(_ bytes: [UInt8], maxEdits: Int) -> [UInt8] { random.mutate(bytes, maxEdits: maxEdits) }

    mutating func string() -> String {
        let pieces = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "é", "中", "😀", "\u{7F}", "\u{2028}"]
        return (0..<below(6)).map { _ in pieces[below(pieces.count)] }.joined()
    }

    mutating func value(depth: Int) -> JSONValue {
        switch below(depth >= 4 ? 6 : 8) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .integer(Int64(bitPattern: next()) >> Int64(below(64)))
        case 3: return .number(["1.5", "-0.25", "1e400", "3.0", "2E-3", "12345678901234567890123", "-0.0"][below(7)])
        case 4, 5: return .string(string())
        case 6: return .array((0..<below(5)).map { _ in value(depth: depth + 1) })
        default:
            var members: [JSONObject.Member] = []
            for index in 0..<below(5) {
                members.append(JSONObject.Member(key: "\(string())#\(index)", value: value(depth: depth + 1)))
            }
            return .object(JSONObject(members))
        }
    }

    static func write(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .integer(let number): return String(number)
        case .number(let text): return text
        case .string(let text): return quoted(text)
        case .array(let items): return "[" + items.map(write).joined(separator: ",") + "]"
        case .object(let object): return "{" + object.members.map { quoted($0.key) + ":" + write($0.value) }.joined(separator: ", ") + "}"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            case "😀": out += "\\ud83d\\ude00"   // a surrogate pair escape now and then
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
