import CLibPQ
import Foundation

/// The rows of one statement. Owns the libpq result and frees it when released; values are
/// decoded lazily, column by column, so large results cost no more than the server's text.
public final class PostgresResult: @unchecked Sendable, RandomAccessCollection {
    // Immutable after init and libpq results are safe to read from any thread, hence @unchecked.
    private let handle: OpaquePointer?
    /// Column names in order.
    public let columns: [String]
    /// Rows inserted, updated or deleted by the statement (`PQcmdTuples`), 0 for others.
    public let affectedRows: Int

    init(handle: OpaquePointer?) {
        self.handle = handle
        let columnCount = handle.map { Int(PQnfields($0)) } ?? 0
        self.columns = (0..<columnCount).map { String(cString: PQfname(handle, Int32($0))) }
        self.affectedRows = handle.flatMap { Int(String(cString: PQcmdTuples($0))) } ?? 0
    }

    deinit { if let handle { PQclear(handle) } }

    public var startIndex: Int { 0 }
    public var endIndex: Int { handle.map { Int(PQntuples($0)) } ?? 0 }
    public subscript(position: Int) -> PostgresRow { PostgresRow(result: self, index: position) }

    func isNull(row: Int, column: Int) -> Bool { PQgetisnull(handle, Int32(row), Int32(column)) == 1 }

    func text(row: Int, column: Int) -> String {
        String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    /// The value's bytes in libpq's buffer, valid while this result lives.
    func bytes(row: Int, column: Int) -> UnsafeBufferPointer<UInt8> {
        let pointer = PQgetvalue(handle, Int32(row), Int32(column))!
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: length)
    }

    func columnIndex(_ name: String) throws -> Int {
        guard let index = columns.firstIndex(of: name) else {
            throw PostgresError(.decoding, "no column named \(name) (have \(columns.joined(separator: ", ")))")
        }
        return index
    }
}

/// One row of a `PostgresResult`.
public struct PostgresRow: Sendable {
    let result: PostgresResult
    let index: Int

    /// The value of a column, by position; NULL is an error unless `T` is Optional.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: Int) throws -> T {
        guard column >= 0, column < result.columns.count else {
            throw PostgresError(.decoding, "column \(column) out of range")
        }
        if result.isNull(row: index, column: column) {
            if let nullable = type as? any PostgresNullable.Type { return nullable.null as! T }
            throw PostgresError(.decoding, "column \(result.columns[column]) is NULL but \(T.self) was expected")
        }
        return try T(postgresBytes: result.bytes(row: index, column: column))
    }

    /// The value of a column, by name.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: String) throws -> T {
        try decode(type, try result.columnIndex(column))
    }

    /// Whether a column is NULL.
    public func isNull(_ column: Int) -> Bool { result.isNull(row: index, column: column) }

    /// Whether two rows hold the same bytes in a column (cheap change detection in sorted results).
    public func sameValue(_ column: Int, as other: PostgresRow) -> Bool {
        let a = result.bytes(row: index, column: column), b = other.result.bytes(row: other.index, column: column)
        return a.count == b.count && memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0
    }
}

/// Lets `Optional` columns decode NULL as nil.
protocol PostgresNullable { static var null: Self { get } }

extension Optional: PostgresNullable {
    static var null: Optional<Wrapped> { nil }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresText text: String) throws { self = try Wrapped(postgresText: text) }
    public init(postgresBytes bytes: UnsafeBufferPointer<UInt8>) throws { self = try Wrapped(postgresBytes: bytes) }
}
