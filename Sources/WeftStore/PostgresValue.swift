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
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.int8 }
    public static var postgresArrayType: UInt32 { PostgresOID.int8Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int64(text) else { throw decodingError(text, as: "Int64") }
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
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.int4 }
    public static var postgresArrayType: UInt32 { PostgresOID.int4Array }
    public var postgresText: String? { String(self) }
    public init(postgresText text: String) throws {
        guard let value = Int32(text) else { throw decodingError(text, as: "Int32") }
        self = value
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
}

extension Day: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresOID.date }
    public static var postgresArrayType: UInt32 { PostgresOID.dateArray }
    public var postgresText: String? { iso }
    public init(postgresText text: String) throws {
        guard let day = Day(iso: text) else { throw decodingError(text, as: "date (the session must use DateStyle ISO)") }
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
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 2 + bytes.count * 2)
        out[0] = UInt8(ascii: "\\"); out[1] = UInt8(ascii: "x")
        for (index, byte) in bytes.enumerated() {
            out[2 + index * 2] = digits[Int(byte >> 4)]
            out[3 + index * 2] = digits[Int(byte & 0x0f)]
        }
        return String(decoding: out, as: UTF8.self)
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
