import Foundation
import Testing
import WeftTestSupport
@testable import WeftStore

@Suite("Migrations")
struct MigrationTests {
    func freshPool() throws -> PostgresPool {
        PostgresPool(configuration: .init(connectionString: try TestDatabase.createDatabase(), maxConnections: 2))
    }

    @Test func bundledFilesAreNumberedInOrder() throws {
        let migrations = try MigrationRunner.bundled()
        #expect(!migrations.isEmpty)
        // Numbers are handed out to people working at once, so one may land before a lower
        // one: strictly increasing is the rule (the runner applies whatever is pending).
        #expect(migrations.map(\.version) == migrations.map(\.version).sorted())
        #expect(Set(migrations.map(\.version)).count == migrations.count)
        #expect(migrations[0].name == "0001_initial.sql")
    }

    @Test func applyingTwiceIsANoOp() async throws {
        let pool = try freshPool()
        defer { pool.close() }
        let runner = MigrationRunner(migrations: try MigrationRunner.bundled())
        #expect(try await runner.status(on: pool).isCurrent == false)
        let first = try await runner.migrate(on: pool)
        #expect(first == runner.migrations.map(\.version))
        #expect(try await runner.migrate(on: pool) == [])
        let status = try await runner.status(on: pool)
        #expect(status.isCurrent)
        #expect(status.applied == first)
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() async throws {
        let pool = try freshPool()
        defer { pool.close() }
        let runner = MigrationRunner(migrations: try MigrationRunner.bundled())
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<2 { group.addTask { try await runner.migrate(on: pool) } }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == runner.migrations.map(\.version))
    }

    @Test func editedAppliedMigrationIsRefused() async throws {
        let pool = try freshPool()
        defer { pool.close() }
        let original = [Migration(version: 1, name: "0001_t.sql", sql: "CREATE TABLE t (a int)")]
        try await MigrationRunner(migrations: original).migrate(on: pool)
        let edited = [Migration(version: 1, name: "0001_t.sql", sql: "CREATE TABLE t (a bigint)")]
        await #expect(throws: MigrationError.edited(name: "0001_t.sql")) {
            try await MigrationRunner(migrations: edited).migrate(on: pool)
        }
        await #expect(throws: MigrationError.edited(name: "0001_t.sql")) {
            try await MigrationRunner(migrations: edited).status(on: pool)
        }
    }

    @Test func failingMigrationLeavesNothingBehind() async throws {
        let pool = try freshPool()
        defer { pool.close() }
        let migrations = [
            Migration(version: 1, name: "0001_ok.sql", sql: "CREATE TABLE ok (a int)"),
            Migration(version: 2, name: "0002_bad.sql", sql: "CREATE TABLE half (a int); SELECT no_such_function()"),
        ]
        await #expect(throws: PostgresError.self) { try await MigrationRunner(migrations: migrations).migrate(on: pool) }
        let status = try await MigrationRunner(migrations: migrations).status(on: pool)
        #expect(status.applied == [1])
        #expect(status.pending == [2])
        #expect(try await pool.query("SELECT to_regclass('half') IS NULL")[0].decode(Bool.self, 0))
    }

    @Test func databaseAheadOfTheBinaryIsRefused() async throws {
        let pool = try freshPool()
        defer { pool.close() }
        try await MigrationRunner(migrations: [Migration(version: 1, name: "0001_a.sql", sql: "SELECT 1"),
                                               Migration(version: 2, name: "0002_b.sql", sql: "SELECT 2")]).migrate(on: pool)
        await #expect(throws: MigrationError.unknownApplied(version: 2, name: "0002_b.sql")) {
            try await MigrationRunner(migrations: [Migration(version: 1, name: "0001_a.sql", sql: "SELECT 1")]).migrate(on: pool)
        }
    }

    @Test func loadsNumberedFilesFromADirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "SELECT 2".write(to: directory.appendingPathComponent("0002_second.sql"), atomically: true, encoding: .utf8)
        try "SELECT 1".write(to: directory.appendingPathComponent("0001_first.sql"), atomically: true, encoding: .utf8)
        try "notes".write(to: directory.appendingPathComponent("README.txt"), atomically: true, encoding: .utf8)
        #expect(try MigrationRunner.load(directory: directory).map(\.version) == [1, 2])
        try "SELECT 3".write(to: directory.appendingPathComponent("third.sql"), atomically: true, encoding: .utf8)
        #expect(throws: MigrationError.badFileName("third.sql")) { try MigrationRunner.load(directory: directory) }
    }
}
