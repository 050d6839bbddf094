import Foundation
import Logging

/// One numbered SQL file from `Migrations/`.
public struct Migration: Sendable, Equatable {
    /// The number the file name starts with (`0001_initial.sql` → 1).
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Hex SHA-256 of the file's text: an applied file that later changes is refused.
    public var checksum: String { lowercaseHex(sha256(Array(sql.utf8))) }
}

/// Why migrations cannot go ahead.
public enum MigrationError: Error, CustomStringConvertible, Equatable {
    case edited(name: String)
    case unknownApplied(version: Int, name: String)
    case badFileName(String)
    case duplicateVersion(Int)
    case missingDirectory(String)

    public var description: String {
        switch self {
        case .edited(let name):
            return "migration \(name) was edited after it was applied; restore the original file and add a new numbered migration instead"
        case .unknownApplied(let version, let name):
            return "the database has migration \(version) (\(name)) that this build does not know; run a newer weft"
        case .badFileName(let name):
            return "migration file \(name) must be named NNNN_description.sql"
        case .duplicateVersion(let version):
            return "two migration files share the number \(version)"
        case .missingDirectory(let path):
            return "no migrations directory at \(path)"
        }
    }
}

/// Where each applied migration stands, for `/readyz` and `weft migrate`.
public struct MigrationStatus: Sendable, Equatable {
    public var applied: [Int]
    public var pending: [Int]
    public var isCurrent: Bool { pending.isEmpty }
}

/// Applies numbered migrations in order, each once and in its own transaction, under a
/// PostgreSQL advisory lock so that several processes starting together apply each once.
public struct MigrationRunner: Sendable {
    public let migrations: [Migration]
    let logger: Logger

    /// Arbitrary but fixed: the advisory lock id that serialises migration runs.
    static let lockID: Int64 = 0x5765_6674_4D69_6772 // "WeftMigr"

    public init(migrations: [Migration], logger: Logger = Logger(label: "weft.migrations")) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Reads `NNNN_name.sql` files from a directory.
    public static func load(directory: URL) throws -> [Migration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else {
            throw MigrationError.missingDirectory(directory.path)
        }
        var seen = Set<Int>()
        return try names.filter { $0.hasSuffix(".sql") }.sorted().map { name in
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]), version > 0 else {
                throw MigrationError.badFileName(name)
            }
            guard seen.insert(version).inserted else { throw MigrationError.duplicateVersion(version) }
            let sql = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
            return Migration(version: version, name: name, sql: sql)
        }
    }

    /// The migrations shipped inside the binary's resources.
    public static func bundled() throws -> [Migration] {
        guard let url = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.missingDirectory("(bundled resources)/Migrations")
        }
        return try load(directory: url)
    }

    /// Applies what is pending; returns the versions applied now.
    @discardableResult
    public func migrate(on pool: PostgresPool) async throws -> [Int] {
        let migrations = migrations
        let logger = logger
        // Migrations may rewrite large tables: no statement time limit.
        return try await StatementBudget.$current.withValue(.unlimited) { try await pool.withConnection { connection in
            try connection.query("SELECT pg_advisory_lock($1)", Self.lockID)
            defer { _ = try? connection.query("SELECT pg_advisory_unlock($1)", Self.lockID) }
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS weft_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let applied = try Self.applied(on: connection)
            try Self.check(applied: applied, against: migrations)
            var done: [Int] = []
            for migration in migrations where applied[migration.version] == nil {
                logger.info("applying migration", metadata: ["migration": "\(migration.name)"])
                try connection.execute("BEGIN")
                do {
                    try connection.execute(migration.sql)
                    try connection.query("INSERT INTO weft_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                                         migration.version, migration.name, migration.checksum)
                    try connection.execute("COMMIT")
                } catch {
                    if !connection.isBroken { _ = try? connection.execute("ROLLBACK") }
                    throw error
                }
                done.append(migration.version)
            }
            return done
        } }
    }

    /// Which migrations are applied and which are pending; throws if an applied one was edited.
    public func status(on pool: PostgresPool) async throws -> MigrationStatus {
        let migrations = migrations
        return try await pool.withConnection { connection in
            let exists = try connection.query("SELECT to_regclass('weft_migrations') IS NOT NULL")[0].decode(Bool.self, 0)
            let applied = exists ? try Self.applied(on: connection) : [:]
            try Self.check(applied: applied, against: migrations)
            return MigrationStatus(
                applied: applied.keys.sorted(),
                pending: migrations.map(\.version).filter { applied[$0] == nil }
            )
        }
    }

    private static func applied(on connection: PostgresConnection) throws -> [Int: (name: String, checksum: String)] {
        var applied: [Int: (name: String, checksum: String)] = [:]
        for row in try connection.query("SELECT version, name, checksum FROM weft_migrations") {
            applied[try row.decode(Int.self, 0)] = (try row.decode(String.self, 1), try row.decode(String.self, 2))
        }
        return applied
    }

    private static func check(applied: [Int: (name: String, checksum: String)], against migrations: [Migration]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, record) in applied.sorted(by: { $0.key < $1.key }) {
            guard let migration = known[version] else {
                throw MigrationError.unknownApplied(version: version, name: record.name)
            }
            guard migration.checksum == record.checksum else { throw MigrationError.edited(name: migration.name) }
        }
    }
}
