/// Locates the first syntax error in a JSON text.
///
/// Foundation's decoder only says "The given data was not valid JSON." on Linux; a client
/// deserves to know where. This runs only after decoding has failed, so it favours
/// clarity over speed.
struct JSONSyntax {
    private let bytes: [UInt8]
    private var offset = 0
    private var depth = 0
    private static let maxDepth = 512

    private struct Failure: Error {
        let message: String
    }

    /// A description of the first syntax error, or nil if `bytes` is a valid JSON text.
    static func firstError(in bytes: [UInt8]) -> String? {
        var parser = JSONSyntax(bytes: bytes)
        do {
            try parser.parseDocument()
            return nil
        } catch {
            return error.message
        }
    }

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func parseDocument() throws(Failure) {
        skipWhitespace()
        try parseValue()
        skipWhitespace()
        if offset < bytes.count {
            throw unexpected("after the end of the JSON value")
        }
    }

    private mutating func parseValue() throws(Failure) {
        guard offset < bytes.count else { throw endOfInput() }
        switch bytes[offset] {
        case UInt8(ascii: "{"): try parseObject()
        case UInt8(ascii: "["): try parseArray()
        case UInt8(ascii: "\""): try parseString()
        case UInt8(ascii: "t"): try parseLiteral("true")
        case UInt8(ascii: "f"): try parseLiteral("false")
        case UInt8(ascii: "n"): try parseLiteral("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try parseNumber()
        default: throw unexpected("where a value was expected")
        }
    }

    private mutating func parseObject() throws(Failure) {
        try enterContainer()
        offset += 1
        skipWhitespace()
        if peek(UInt8(ascii: "}")) {
            offset += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else {
                throw offset < bytes.count ? unexpected("where an object key (a string) was expected") : endOfInput()
            }
            try parseString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "after an object key (expected ':')")
            skipWhitespace()
            try parseValue()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                offset += 1
                skipWhitespace()
                if peek(UInt8(ascii: "}")) { throw unexpected("after ',' (trailing commas are not allowed)") }
                continue
            }
            try expect(UInt8(ascii: "}"), "in an object (expected ',' or '}')")
            depth -= 1
            return
        }
    }

    private mutating func parseArray() throws(Failure) {
        try enterContainer()
        offset += 1
        skipWhitespace()
        if peek(UInt8(ascii: "]")) {
            offset += 1
            depth -= 1
            return
        }
        while true {
            skipWhitespace()
            try parseValue()
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                offset += 1
                skipWhitespace()
                if peek(UInt8(ascii: "]")) { throw unexpected("after ',' (trailing commas are not allowed)") }
                continue
            }
            try expect(UInt8(ascii: "]"), "in an array (expected ',' or ']')")
            depth -= 1
            return
        }
    }

    private mutating func parseString() throws(Failure) {
        offset += 1  // opening quote
        while offset < bytes.count {
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return
            case UInt8(ascii: "\\"):
                offset += 1
                guard offset < bytes.count else { throw endOfInput() }
                switch bytes[offset] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    offset += 1
                case UInt8(ascii: "u"):
                    offset += 1
                    for _ in 0..<4 {
                        guard offset < bytes.count else { throw endOfInput() }
                        guard bytes[offset].isHexDigit else { throw unexpected("in a \\u escape (expected 4 hex digits)") }
                        offset += 1
                    }
                default:
                    throw unexpected("after '\\' in a string (not a valid escape)")
                }
            case 0..<0x20:
                throw unexpected("in a string (control characters must be escaped)")
            default:
                offset += 1
            }
        }
        throw Failure(message: "unterminated string at offset \(bytes.count) (\(position(bytes.count)))")
    }

    private mutating func parseLiteral(_ literal: String) throws(Failure) {
        let start = offset
        for expected in literal.utf8 {
            guard offset < bytes.count else { throw endOfInput() }
            guard bytes[offset] == expected else {
                // Point at the word, not at its first wrong letter: `name=x` is not a
                // misspelt `null`, and `tru` is easier to spot from its start.
                offset = start
                throw unexpected("where a value was expected")
            }
            offset += 1
        }
    }

    private mutating func parseNumber() throws(Failure) {
        if peek(UInt8(ascii: "-")) { offset += 1 }
        if peek(UInt8(ascii: "0")) {
            offset += 1
        } else {
            try digits("in a number (expected a digit)")
        }
        if peek(UInt8(ascii: ".")) {
            offset += 1
            try digits("after a decimal point (expected a digit)")
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            offset += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { offset += 1 }
            try digits("in an exponent (expected a digit)")
        }
    }

    private mutating func digits(_ context: String) throws(Failure) {
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset].isDigit else { throw unexpected(context) }
        while offset < bytes.count, bytes[offset].isDigit { offset += 1 }
    }

    private mutating func enterContainer() throws(Failure) {
        depth += 1
        if depth > Self.maxDepth {
            throw Failure(message: "nesting deeper than \(Self.maxDepth) levels at offset \(offset)")
        }
    }

    private mutating func expect(_ byte: UInt8, _ context: String) throws(Failure) {
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset] == byte else { throw unexpected(context) }
        offset += 1
    }

    private func peek(_ byte: UInt8) -> Bool {
        offset < bytes.count && bytes[offset] == byte
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count,
            [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r")].contains(bytes[offset])
        {
            offset += 1
        }
    }

    private func unexpected(_ context: String) -> Failure {
        let byte = bytes[offset]
        let shown =
            (0x20..<0x7F).contains(byte)
            ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16, uppercase: true))"
        return Failure(message: "unexpected character \(shown) at offset \(offset) (\(position(offset))) \(context)")
    }

    private func endOfInput() -> Failure {
        Failure(message: "unexpected end of input at offset \(offset) (\(position(offset)))")
    }

    /// 1-based line and column, counted in bytes, for people reading a multi-line body.
    private func position(_ offset: Int) -> String {
        var line = 1
        var column = 1
        for byte in bytes[..<min(offset, bytes.count)] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return "line \(line), column \(column)"
    }
}

extension UInt8 {
    fileprivate var isDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    fileprivate var isHexDigit: Bool {
        isDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(self)
    }
}
