import Foundation
import WeftCore

/// A Swift value that can be sent to PostgreSQL as a query parameter in text format.
public protocol PostgresEncodable: Sendable {
    /// The type OID sent with the parameter so the server never has to guess.
    static var postgresType: UInt32 { get }
    /// The OID of an array of this type, for `[Self]` parameters.
    static var postgresArrayType: UInt32 { get }
    /// The text form; nil means SQL NULL.
    var postgresText: String? { get }
}

/// A Swift value that can be read from a column in text format.
public protocol PostgresDecodable {
    init(postgresText text: String) throws
    /// Reads the value straight from libpq's buffer; types on hot paths (integers, dates,
    /// UUIDs) implement it without building a String first.
    init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws
}

extension PostgresDecodable {
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self))
    }
}

/// Parses a decimal integer (optional leading '-') without allocating.
@inline(__always)
func parseInteger(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard !bytes.isEmpty else { return nil }
    var index = 0
    let negative = bytes[0] == UInt8(ascii: "-")
    if negative { index = 1 }
    guard index < bytes.count else { return nil }
    var value: Int64 = 0
    while index < bytes.count {
        let digit = bytes[index] &- 48
        guard digit < 10 else { return nil }
        let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = negative ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
        guard !overflow1, !overflow2 else { return nil }
        value = sum
        index += 1
    }
    return value
}

/// Type OIDs from pg_type.
public enum PostgresOID {
    public static let bool: UInt32 = 16, bytea: UInt32 = 17, int8: UInt32 = 20, int4: UInt32 = 23, text: UInt32 = 25
    public static let float8: UInt32 = 701, date: UInt32 = 1082, timestamptz: UInt32 = 1184, uuid: UInt32 = 2950, jsonb: UInt32 = 3802
    public static let boolArray: UInt32 = 1000, byteaArray: UInt32 = 1001, int4Array: UInt32 = 1007, textArray: UInt32 = 1009
    public static let int8Array: UInt32 = 1016, float8Array: UInt32 = 1022, dateArray: UInt32 = 1182
    public static let timestamptzArray: UInt32 = 1185, uuidArray: UInt32 = 2951, jsonbArray: UInt32 = 3807
}

func decodingError(_ text: String, as type: String) -> PostgresError {
    PostgresError(.decoding, "cannot read \(text.prefix(80).debugDescription) as \(type)")
}

extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.text }
    public static var postgresArrayType: UInt32 { PostgresOID.textArray }
    public var postgresText: String? { self }
    public init(postgresText text: String) { self = text }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.bool }
    public static var postgresArrayType: UInt32 { PostgresOID.boolArray }
    public var postgresText: String? { self ? "t" : "f" }
    public init(postgresText text: String) throws {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw decodingError(text, as: "Bool")
        }
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        if bytes.count == 1, bytes[0] == UInt8(ascii: "t") { self = true; return }
        if bytes.count == 1, bytes[0] == UInt8(ascii: "f") { self = false; return }
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self))
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.int8 }
    public static var postgresArrayType: UInt32 { PostgresOID.int8Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int64(text) else { throw decodingError(text, as: "Int64") }
        self = value
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let value = parseInteger(bytes) else { throw decodingError(String(decoding: bytes, as: UTF8.self), as: "Int64") }
        self = value
    }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.int8 }
    public static var postgresArrayType: UInt32 { PostgresOID.int8Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int(text) else { throw decodingError(text, as: "Int") }
        self = value
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let value = parseInteger(bytes) else { throw decodingError(String(decoding: bytes, as: UTF8.self), as: "Int") }
        self = Int(value)
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.int4 }
    public static var postgresArrayType: UInt32 { PostgresOID.int4Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int32(text) else { throw decodingError(text, as: "Int32") }
        self = value
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let value = parseInteger(bytes), let narrow = Int32(exactly: value) else {
            throw decodingError(String(decoding: bytes, as: UTF8.self), as: "Int32")
        }
        self = narrow
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.float8 }
    public static var postgresArrayType: UInt32 { PostgresOID.float8Array }
    public var postgresText: String? { self.description }
    public init(postgresText text: String) throws {
        guard let value = Double(text) else { throw decodingError(text, as: "Double") }
        self = value
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.uuid }
    public static var postgresArrayType: UInt32 { PostgresOID.uuidArray }
    public var postgresText: String? { uuidString.lowercased() }
    public init(postgresText text: String) throws {
        guard let value = UUID(uuidString: text) else { throw decodingError(text, as: "UUID") }
        self = value
    }
    /// Foundation's parser goes through sscanf, which showed up at the top of profiles.
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let value = parseUUID(bytes) else { throw decodingError(String(decoding: bytes, as: UTF8.self), as: "UUID") }
        self = value
    }
}

extension Day: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.date }
    public static var postgresArrayType: UInt32 { PostgresOID.dateArray }
    public var postgresText: String? { iso }
    public init(postgresText text: String) throws {
        guard let day = Day(iso: text) else { throw decodingError(text, as: "date (the session must use DateStyle ISO)") }
        self = day
    }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws {
        guard let day = Day(isoUTF8: bytes) else {
            throw decodingError(String(decoding: bytes, as: UTF8.self), as: "date (the session must use DateStyle ISO)")
        }
        self = day
    }
}

/// Raw bytes, sent and read as `bytea` in hex format.
public struct Bytes: Hashable, Sendable, PostgresEncodable, PostgresDecodable {
    public var bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public static var postgresType: UInt32 { PostgresOID.bytea }
    public static var postgresArrayType: UInt32 { PostgresOID.byteaArray }
    public var postgresText: String? {
        "\\x" + lowercaseHex(bytes)
    }
    public init(postgresText text: String) throws {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "\\"), utf8[1] == UInt8(ascii: "x"), utf8.count % 2 == 0 else {
            throw decodingError(text, as: "bytea in hex format")
        }
        func nibble(_ c: UInt8) throws -> UInt8 {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
            default: throw decodingError(text, as: "bytea in hex format")
            }
        }
        var result = [UInt8]()
        result.reserveCapacity((utf8.count - 2) / 2)
        var index = 2
        while index < utf8.count {
            result.append(try nibble(utf8[index]) << 4 | nibble(utf8[index + 1]))
            index += 2
        }
        self.bytes = result
    }
}

/// JSON text sent and read as `jsonb`.
public struct JSONB: Hashable, Sendable, PostgresEncodable, PostgresDecodable {
    public var text: String
    public init(_ text: String) { self.text = text }
    public static var postgresType: UInt32 { PostgresOID.jsonb }
    public static var postgresArrayType: UInt32 { PostgresOID.jsonbArray }
    public var postgresText: String? { text }
    public init(postgresText text: String) { self.text = text }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public static var postgresType: UInt32 { Wrapped.postgresType }
    public static var postgresArrayType: UInt32 { Wrapped.postgresArrayType }
    public var postgresText: String? { self.flatMap { $0.postgresText } }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: UInt32 { Element.postgresArrayType }
    /// Arrays of arrays are sent as multi-dimensional arrays of the element type.
    public static var postgresArrayType: UInt32 { Element.postgresArrayType }
    public var postgresText: String? { PostgresArrayText.encode(map { $0.postgresText }) }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    public init(postgresText text: String) throws {
        self = try PostgresArrayText.decode(text).map { item in
            guard let item else { throw PostgresError(.decoding, "unexpected NULL element in array") }
            return try Element(postgresText: item)
        }
    }
}

/// Parses the canonical 36-character UUID form (any hex case).
func parseUUID(_ bytes: UnsafeBufferPointer<UInt8>) -> UUID? {
    guard bytes.count == 36 else { return nil }
    var out = [UInt8](repeating: 0, count: 16)
    var byte = 0
    var index = 0
    while index < 36 {
        if index == 8 || index == 13 || index == 18 || index == 23 {
            guard bytes[index] == UInt8(ascii: "-") else { return nil }
            index += 1
            continue
        }
        guard let high = hexValue(bytes[index]), let low = hexValue(bytes[index + 1]) else { return nil }
        out[byte] = high << 4 | low
        byte += 1
        index += 2
    }
    return UUID(uuid: (out[0], out[1], out[2], out[3], out[4], out[5], out[6], out[7],
                       out[8], out[9], out[10], out[11], out[12], out[13], out[14], out[15]))
}

@inline(__always)
func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case 48...57: return c - 48
    case 97...102: return c - 87
    case 65...70: return c - 55
    default: return nil
    }
}

