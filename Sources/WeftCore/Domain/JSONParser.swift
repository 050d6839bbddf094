/// Why a body is not valid JSON, where, and in words a person can act on.
///
/// An API answers this with 400; a body that is valid JSON but wrong is a `ValidationFailure` (422).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The class of problem, for tests and metrics; `message` is what people read.
    public enum Kind: Sendable, Equatable {
        case empty
        case unexpectedCharacter
        case unexpectedEnd
        case unterminatedString
        case invalidEscape
        case invalidUnicodeEscape
        case controlCharacter
        case invalidUTF8
        case invalidNumber
        case duplicateKey
        case tooDeep
        case trailingData
    }

    /// The class of problem.
    public var kind: Kind
    /// Byte offset into the input where the problem was found.
    public var offset: Int
    /// For example "unexpected character 'x' at offset 17; expected ',' or '}'".
    public var message: String

    /// An error with all its parts.
    public init(kind: Kind, offset: Int, message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String { message }
}

/// A strict, single-pass RFC 8259 parser over UTF-8 bytes. Linear in the input size.
public enum JSONParser {
    /// Deep enough for any real request body, shallow enough that recursion is safe.
    public static let defaultMaxDepth = 64

    /// Parses one complete document; see `JSONValue.parse`.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBufferPointer { buffer in
            var parser = Parser(buffer: buffer, maxDepth: maxDepth)
            do throws(JSONParseError) {
                return .success(try parser.document())
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

private struct Parser {
    let buffer: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    var depth = 0
    // Shared scratch stacks: each container is built here and copied out once at its
    // close, so an object or array costs one exact-size allocation instead of regrowth.
    var valueStack: [JSONValue] = []
    var memberStack: [JSONObject.Member] = []
    // Reused for strings that need unescaping.
    var scratch: [UInt8] = []

    init(buffer: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.buffer = buffer
        self.maxDepth = maxDepth
    }

    mutating func document() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard index < buffer.count else {
            throw JSONParseError(kind: .empty, offset: 0, message: "expected a JSON value but the input is empty")
        }
        let value = try parseValue()
        skipWhitespace()
        if index < buffer.count {
            throw JSONParseError(kind: .trailingData, offset: index,
                                 message: "\(describe(buffer[index])) at offset \(index) after the end of the JSON value")
        }
        return value
    }

    mutating func skipWhitespace() {
        while index < buffer.count {
            switch buffer[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard index < buffer.count else { throw unexpectedEnd(expected: "a value") }
        switch buffer[index] {
        case quote: return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw unexpected(expected: "a value")
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let text = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for byte in text {
            guard index < buffer.count else { throw unexpectedEnd(expected: "'\(word)'") }
            guard buffer[index] == byte else { throw unexpected(expected: "'\(word)'") }
            index += 1
        }
    }

    mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > maxDepth {
            throw JSONParseError(kind: .tooDeep, offset: index,
                                 message: "nested too deeply at offset \(index) (more than \(maxDepth) levels of arrays and objects)")
        }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        let base = valueStack.count
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array([])
        }
        while true {
            skipWhitespace()
            valueStack.append(try parseValue())
            skipWhitespace()
            guard index < buffer.count else { throw unexpectedEnd(expected: "',' or ']'") }
            let byte = buffer[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "]") { break }
            index -= 1
            throw unexpected(expected: "',' or ']'")
        }
        let elements = Array(valueStack[base...])
        valueStack.removeSubrange(base...)
        depth -= 1
        return .array(elements)
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        index += 1
        let base = memberStack.count
        skipWhitespace()
        if index < buffer.count, buffer[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(JSONObject())
        }
        // Linear duplicate checks stay cheap for the small objects requests are made of;
        // a set takes over only for objects large enough for quadratic cost to matter.
        var seen: Set<String>? = nil
        while true {
            skipWhitespace()
            guard index < buffer.count else { throw unexpectedEnd(expected: "a key in double quotes") }
            guard buffer[index] == quote else { throw unexpected(expected: "a key in double quotes") }
            let keyOffset = index
            let key = try parseString()
            let isDuplicate: Bool
            if seen != nil {
                isDuplicate = !seen!.insert(key).inserted
            } else {
                isDuplicate = memberStack[base...].contains { $0.key == key }
                if memberStack.count - base >= 16 {
                    seen = Set(memberStack[base...].map(\.key))
                    seen!.insert(key)
                }
            }
            if isDuplicate {
                throw JSONParseError(kind: .duplicateKey, offset: keyOffset,
                                     message: "duplicate key '\(key)' at offset \(keyOffset)")
            }
            skipWhitespace()
            guard index < buffer.count else { throw unexpectedEnd(expected: "':'") }
            guard buffer[index] == UInt8(ascii: ":") else { throw unexpected(expected: "':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            memberStack.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            guard index < buffer.count else { throw unexpectedEnd(expected: "',' or '}'") }
            let byte = buffer[index]
            index += 1
            if byte == UInt8(ascii: ",") { continue }
            if byte == UInt8(ascii: "}") { break }
            index -= 1
            throw unexpected(expected: "',' or '}'")
        }
        let members = Array(memberStack[base...])
        memberStack.removeSubrange(base...)
        depth -= 1
        return .object(JSONObject(members))
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        let negative = buffer[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        // Accumulate negatively so that Int64.min is representable.
        var accumulator: Int64 = 0
        var overflow = false
        guard index < buffer.count, isDigit(buffer[index]) else {
            throw invalidNumber(start, "a digit must follow '-'")
        }
        if buffer[index] == UInt8(ascii: "0") {
            index += 1
            if index < buffer.count, isDigit(buffer[index]) {
                throw invalidNumber(start, "leading zeros are not allowed")
            }
        } else {
            while index < buffer.count, isDigit(buffer[index]) {
                let digit = Int64(buffer[index] &- UInt8(ascii: "0"))
                if !overflow {
                    let (times10, o1) = accumulator.multipliedReportingOverflow(by: 10)
                    let (next, o2) = times10.subtractingReportingOverflow(digit)
                    if o1 || o2 { overflow = true } else { accumulator = next }
                }
                index += 1
            }
        }
        var isInteger = true
        if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < buffer.count, isDigit(buffer[index]) else {
                throw invalidNumber(start, "a digit must follow '.'")
            }
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
        if index < buffer.count, buffer[index] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            index += 1
            if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") { index += 1 }
            guard index < buffer.count, isDigit(buffer[index]) else {
                throw invalidNumber(start, "the exponent needs at least one digit")
            }
            while index < buffer.count, isDigit(buffer[index]) { index += 1 }
        }
        if isInteger, !overflow {
            if negative { return .integer(accumulator) }
            if accumulator != .min { return .integer(-accumulator) }
        }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<index]), as: UTF8.self))
    }

    /// Parses a string starting at the opening quote, leaving `index` after the closing one.
    mutating func parseString() throws(JSONParseError) -> String {
        let open = index
        index += 1
        let start = index
        // Fast path: plain printable ASCII, the overwhelming majority of keys and values.
        while index < buffer.count {
            let byte = buffer[index]
            if byte == quote {
                index += 1
                return String(decoding: UnsafeBufferPointer(rebasing: buffer[start..<(index - 1)]), as: UTF8.self)
            }
            if byte == backslash || byte < 0x20 || byte >= 0x80 { break }
            index += 1
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[start..<index]))
        while true {
            guard index < buffer.count else { throw unterminated(open) }
            let byte = buffer[index]
            if byte == quote {
                index += 1
                // Every byte in scratch has been validated, so decoding never repairs.
                return String(decoding: scratch, as: UTF8.self)
            } else if byte == backslash {
                try unescape(open)
            } else if byte < 0x20 {
                throw JSONParseError(kind: .controlCharacter, offset: index,
                                     message: "unescaped control character \(hex(byte)) in string at offset \(index); write it as an escape such as \\n or \\u00XX")
            } else if byte < 0x80 {
                scratch.append(byte)
                index += 1
            } else {
                let length = utf8SequenceLength(at: index)
                guard length > 0 else {
                    throw JSONParseError(kind: .invalidUTF8, offset: index, message: "invalid UTF-8 at offset \(index)")
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[index..<(index + length)]))
                index += length
            }
        }
    }

    mutating func unescape(_ open: Int) throws(JSONParseError) {
        let escapeOffset = index
        index += 1
        guard index < buffer.count else { throw unterminated(open) }
        let byte = buffer[index]
        index += 1
        switch byte {
        case quote: scratch.append(quote)
        case backslash: scratch.append(backslash)
        case UInt8(ascii: "/"): scratch.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4(escapeOffset)
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate is only meaningful followed by an escaped low surrogate.
                guard index + 1 < buffer.count, buffer[index] == backslash, buffer[index + 1] == UInt8(ascii: "u") else {
                    throw unpairedSurrogate(scalar, escapeOffset)
                }
                let lowOffset = index
                index += 2
                let low = try hex4(lowOffset)
                guard (0xDC00...0xDFFF).contains(low) else { throw unpairedSurrogate(scalar, escapeOffset) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw unpairedSurrogate(scalar, escapeOffset)
            }
            appendUTF8(scalar)
        default:
            throw JSONParseError(kind: .invalidEscape, offset: escapeOffset,
                                 message: "invalid escape \(byte >= 0x20 && byte < 0x7F ? "'\\\(Character(Unicode.Scalar(byte)))'" : "sequence") in string at offset \(escapeOffset)")
        }
    }

    /// Reads the four hex digits after `\u`; `escapeOffset` points at the backslash.
    mutating func hex4(_ escapeOffset: Int) throws(JSONParseError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < buffer.count else {
                throw JSONParseError(kind: .invalidUnicodeEscape, offset: escapeOffset,
                                     message: "incomplete \\u escape at offset \(escapeOffset); it needs four hex digits")
            }
            let byte = buffer[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default:
                throw JSONParseError(kind: .invalidUnicodeEscape, offset: escapeOffset,
                                     message: "invalid \\u escape at offset \(escapeOffset); it needs four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    mutating func appendUTF8(_ scalar: UInt32) {
        switch scalar {
        case 0..<0x80:
            scratch.append(UInt8(scalar))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | scalar >> 6))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | scalar >> 12))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | scalar >> 18))
            scratch.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// Length of the well-formed UTF-8 sequence starting at `offset` (RFC 3629: no overlong
    /// forms, no surrogates, nothing above U+10FFFF), or 0 when it is not well formed.
    func utf8SequenceLength(at offset: Int) -> Int {
        let lead = buffer[offset]
        let length: Int
        var low: UInt8 = 0x80, high: UInt8 = 0xBF  // allowed range of the second byte
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return 0
        }
        guard offset + length <= buffer.count else { return 0 }
        guard (low...high).contains(buffer[offset + 1]) else { return 0 }
        for next in (offset + 2)..<(offset + length) where buffer[next] & 0xC0 != 0x80 { return 0 }
        return length
    }

    // MARK: - Errors

    func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte < 0x7F { return "unexpected character '\(Character(Unicode.Scalar(byte)))'" }
        return "unexpected byte \(hex(byte))"
    }

    func unexpected(expected: String) -> JSONParseError {
        let byte = buffer[index]
        if byte >= 0x80 && utf8SequenceLength(at: index) == 0 {
            return JSONParseError(kind: .invalidUTF8, offset: index, message: "invalid UTF-8 at offset \(index)")
        }
        return JSONParseError(kind: .unexpectedCharacter, offset: index,
                              message: "\(describe(byte)) at offset \(index); expected \(expected)")
    }

    func unexpectedEnd(expected: String) -> JSONParseError {
        JSONParseError(kind: .unexpectedEnd, offset: index,
                       message: "unexpected end of input at offset \(index); expected \(expected)")
    }

    func unterminated(_ open: Int) -> JSONParseError {
        JSONParseError(kind: .unterminatedString, offset: open, message: "unterminated string at offset \(open)")
    }

    func invalidNumber(_ start: Int, _ reason: String) -> JSONParseError {
        JSONParseError(kind: .invalidNumber, offset: start, message: "invalid number at offset \(start): \(reason)")
    }

    func unpairedSurrogate(_ value: UInt32, _ offset: Int) -> JSONParseError {
        JSONParseError(kind: .invalidUnicodeEscape, offset: offset,
                       message: "unpaired surrogate \\u\(hexDigits(value)) at offset \(offset); characters above U+FFFF need a high and a low surrogate")
    }
}

private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

private func hex(_ byte: UInt8) -> String {
    let text = String(byte, radix: 16, uppercase: true)
    return "0x" + (text.count == 1 ? "0" + text : text)
}

private func hexDigits(_ value: UInt32) -> String {
    let text = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - text.count)) + text
}
