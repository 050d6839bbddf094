import Foundation
import Testing
import WeftCore
import WeftTestSupport
@testable import WeftStore

@Suite("Values round-trip through PostgreSQL")
struct ValueRoundTripTests {
    @Test func everySupportedTypeAndNull() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 2)
        defer { pool.close() }
        let id = UUID()
        let day = Day(iso: "2024-02-29")!
        let instant = Date(timeIntervalSince1970: 1_732_233_600.123456)
        let row = try await pool.query("""
            SELECT $1::text, $2::int4, $3::int8, $4::bool, $5::date, $6::timestamptz, $7::uuid,
                   $8::text[], $9::int8[], $10::uuid[], $11::date[], $12::bytea, $13::jsonb, $14::float8, $15::text, $16::int8
            """,
            "naïve \"quoted\" \\ text, {braces}", Int32(-7), Int64.max, true, day, instant, id,
            ["a", "b c", "\"q\"", "back\\slash", "NULL", ""], [Int64(1), -2, 3], [id], [day, day.adding(days: 1)],
            Bytes([0, 1, 254, 255]), JSONB("{\"k\": [1, 2]}"), 52.5, String?.none, Int64?.none)[0]
        #expect(try row.decode(String.self, 0) == "naïve \"quoted\" \\ text, {braces}")
        #expect(try row.decode(Int32.self, 1) == -7)
        #expect(try row.decode(Int64.self, 2) == Int64.max)
        #expect(try row.decode(Bool.self, 3) == true)
        #expect(try row.decode(Day.self, 4) == day)
        #expect(abs(try row.decode(Date.self, 5).timeIntervalSince(instant)) < 0.000_002)
        #expect(try row.decode(UUID.self, 6) == id)
        #expect(try row.decode([String].self, 7) == ["a", "b c", "\"q\"", "back\\slash", "NULL", ""])
        #expect(try row.decode([Int64].self, 8) == [1, -2, 3])
        #expect(try row.decode([UUID].self, 9) == [id])
        #expect(try row.decode([Day].self, 10) == [day, day.adding(days: 1)])
        #expect(try row.decode(Bytes.self, 11) == Bytes([0, 1, 254, 255]))
        #expect(try row.decode(JSONB.self, 12).text == "{\"k\": [1, 2]}")
        #expect(try row.decode(Double.self, 13) == 52.5)
        #expect(try row.decode(String?.self, 14) == nil)
        #expect(try row.decode(Int64?.self, 15) == nil)
        #expect(row.isNull(14))
        // NULL where a value is required is an error, not a crash or a default.
        #expect(throws: PostgresError.self) { try row.decode(String.self, 14) }
        #expect(throws: PostgresError.self) { try row.decode(Int64.self, "no_such_column") }
    }

    @Test func emptyArraysAndTimestampOffsets() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1)
        defer { pool.close() }
        let row = try await pool.query("SELECT $1::text[], '2026-01-02 03:04:05+05:30'::timestamptz, now()", [String]())[0]
        #expect(try row.decode([String].self, 0) == [])
        #expect(try row.decode(Date.self, 1) == Date(timeIntervalSince1970: 1_767_323_045 - 19_800))
        #expect(abs(try row.decode(Date.self, 2).timeIntervalSinceNow) < 60)
    }

    @Test func injectionAttemptsAreJustText() async throws {
        let (pool, _) = try await TestDatabase.migratedPool(maxConnections: 1)
        defer { pool.close() }
        let hostile = "x'); DROP TABLE brokers; --"
        let result = try await pool.query("INSERT INTO brokers (name) VALUES ($1) RETURNING name", hostile)
        #expect(try result[0].decode(String.self, 0) == hostile)
        #expect(try await pool.query("SELECT count(*) FROM brokers")[0].decode(Int.self, 0) == 1)
    }
}
