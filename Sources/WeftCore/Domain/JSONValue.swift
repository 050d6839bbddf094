/// A parsed JSON document, kept exactly as written.
///
/// We parse request bodies ourselves instead of using `Codable` so that a bad body can be
/// reported field by field, all problems at once, and so that numbers are never silently
/// rounded: `1.5` sent for a whole-number field must be refused, not truncated to 1.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in `Int64`.
    case integer(Int64)
    /// Any other number — with a fraction or exponent, or an integer too large for `Int64` —
    /// as its exact source text (which is valid JSON number syntax).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// Parses one complete JSON document (RFC 8259) from UTF-8 bytes.
    ///
    /// Strict: no comments, no trailing commas, no BOM, no duplicate keys, no invalid UTF-8,
    /// at most `maxDepth` nested arrays/objects. Size is limited by the caller.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(bytes, maxDepth: maxDepth)
    }

    /// Parses a JSON document from a string (convenient in tests and for query parameters).
    public static func parse(_ text: String, maxDepth: Int = JSONParser.defaultMaxDepth) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8), maxDepth: maxDepth)
    }

    /// The value as a `Double` for `.integer` and `.number`; nil otherwise.
    ///
    /// A number too large for `Double` gives an infinity, which callers range-check away.
    public var doubleValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let text): return Double(text)
        default: return nil
        }
    }

    /// The value as a whole number when it is one exactly and fits in `Int64`: `.integer`, and
    /// `.number` text such as `3.0`, `30e-1` or `1E3` (JSON Schema's `integer` includes them,
    /// so clients and generators send them); nil for `1.5`, `1e400`, strings and the rest.
    ///
    /// Worked out on the decimal text, never through `Double`, so nothing is ever rounded.
    public var exactInteger: Int64? {
        switch self {
        case .integer(let value): return value
        case .number(let text): return JSONValue.exactInteger(text)
        default: return nil
        }
    }

    /// `exactInteger` of a JSON number's source text (already valid number syntax).
    static func exactInteger(_ text: String) -> Int64? {
        var digits: [UInt8] = []  // significant digits of integer and fraction parts
        var fractionDigits = 0, exponent = 0, negative = false, exponentNegative = false
        var part = 0  // 0 integer, 1 fraction, 2 exponent
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-") where part == 0: negative = true
            case UInt8(ascii: "-"): exponentNegative = true
            case UInt8(ascii: "+"): continue
            case UInt8(ascii: "."): part = 1
            case UInt8(ascii: "e"), UInt8(ascii: "E"): part = 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let digit = byte - UInt8(ascii: "0")
                if part == 2 {
                    // Saturate: past this no non-zero value is in range or whole anyway.
                    exponent = min(exponent * 10 + Int(digit), 100_000)
                } else {
                    if part == 1 { fractionDigits += 1 }
                    if !(digits.isEmpty && digit == 0) { digits.append(digit) } else if part == 1 { continue }
                }
            default: return nil
            }
        }
        if digits.isEmpty { return 0 }  // 0.0, -0e5, 0E-7
        // value = digits × 10^scale; digits carries no leading zeros.
        var scale = (exponentNegative ? -exponent : exponent) - fractionDigits
        // Trailing zeros of the digits make a negative scale smaller.
        while scale < 0, digits.last == 0 { digits.removeLast(); scale += 1 }
        guard scale >= 0, digits.count + scale <= 19 else { return nil }
        var magnitude: UInt64 = 0
        for digit in digits { magnitude = magnitude * 10 + UInt64(digit) }
        for _ in 0..<scale {
            let (next, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else { return nil }
            magnitude = next
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { return nil }
            return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Int64(magnitude)
    }

    /// A short noun for the kind of value, used in messages ("got a string").
    public var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// A JSON object: its members in document order, keys unique (the parser refuses duplicates).
public struct JSONObject: Sendable, Equatable, RandomAccessCollection {
    /// One `"key": value` pair.
    public struct Member: Sendable, Equatable {
        /// The key, unescaped.
        public var key: String
        /// The value.
        public var value: JSONValue

        /// A member.
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    /// Members in the order they were written. Equality is therefore order-sensitive.
    public var members: [Member]

    /// An object from members; the caller guarantees the keys are unique.
    public init(_ members: [Member] = []) { self.members = members }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> Member { members[position] }

    /// The index of the member with this key. Linear: request objects are small, and a
    /// hash table per object would cost more than it saves on the 10,000-slot hot path.
    public func index(forKey key: String) -> Int? {
        members.firstIndex { $0.key == key }
    }

    /// The value for a key, or nil when absent.
    public subscript(key: String) -> JSONValue? {
        index(forKey: key).map { members[$0].value }
    }
}
