import Foundation
import Logging
import Testing
import WeftAPI

/// Start-up settings: one parser for flags and environment, each out-of-range value refused
/// with one line naming the setting and what it allows.
@Suite("Start-up settings from flags and the environment")
struct SettingsTests {
    @Test func defaultsWhenNothingIsSet() throws {
        let settings = try Settings(environment: [:])
        #expect(settings.host == "127.0.0.1" && settings.port == 8080 && settings.poolSize == 10)
        #expect(settings.logLevel == .info && settings.freezeDays == 1)
        #expect(settings.runInterval == nil && settings.rateLimit == nil && settings.reportsDatabaseURL == nil)
        #expect(settings.databaseURL == "")
        #expect(settings.requestStatementTimeout == .seconds(15) && settings.longStatementTimeout == .seconds(300))
        #expect(settings.maxConnectionAge == .seconds(1_800) && settings.maxIdleTime == .seconds(300))
        #expect(settings.idempotencyTTLSeconds == 86_400)
        #expect(settings.mipWorker == .besideWeft)
    }

    @Test func databaseLimitsAndTheIdempotencyTTLAreRead() throws {
        let settings = try Settings(environment: [
            "WEFT_DB_STATEMENT_TIMEOUT_MS": "2500", "WEFT_DB_LONG_STATEMENT_TIMEOUT_MS": "0", "WEFT_DB_MAX_CONNECTION_AGE_SECONDS": "60",
            "WEFT_DB_MAX_IDLE_SECONDS": "0", "WEFT_IDEMPOTENCY_TTL_SECONDS": "3600",
        ])
        #expect(settings.requestStatementTimeout == .milliseconds(2_500) && settings.longStatementTimeout == nil)
        #expect(settings.maxConnectionAge == .seconds(60) && settings.maxIdleTime == nil)
        #expect(settings.idempotencyTTLSeconds == 3_600)
        let pool = settings.postgres("postgresql://x/y", maxConnections: 3)
        #expect(pool.requestStatementTimeout == .milliseconds(2_500) && pool.longStatementTimeout == nil)
        #expect(pool.maxConnectionAge == .seconds(60) && pool.maxIdleTime == nil && pool.maxConnections == 3)
    }

    @Test func everyVariableIsRead() throws {
        let settings = try Settings(environment: [
            "DATABASE_URL": "postgresql://x/y", "WEFT_HOST": "0.0.0.0", "WEFT_PORT": "0", "WEFT_DB_POOL_SIZE": "500",
            "WEFT_LOG_LEVEL": "WARNING", "WEFT_FREEZE_DAYS": "0", "WEFT_REPORTS_DATABASE_URL": "postgresql://r/y",
            "WEFT_RUN_INTERVAL": "600", "WEFT_RATE_LIMIT_PER_SECOND": "0.5", "WEFT_RATE_LIMIT_BURST": "3",
            "WEFT_RATE_LIMIT_ADMINS": "yes",
        ])
        #expect(settings.databaseURL == "postgresql://x/y" && settings.host == "0.0.0.0" && settings.port == 0)
        #expect(settings.poolSize == 500 && settings.logLevel == .warning && settings.freezeDays == 0)
        #expect(settings.reportsDatabaseURL == "postgresql://r/y" && settings.runInterval == .seconds(600))
        #expect(settings.rateLimit == RateLimitConfiguration(perSecond: 0.5, burst: 3, limitAdmins: true))
    }

    @Test func flagsOverrideTheirVariables() throws {
        let settings = try Settings(flags: .init(port: 9000, poolSize: 3, logLevel: "debug", freezeDays: 7, ratePerSecond: 2, burst: 9),
                                    environment: ["WEFT_PORT": "8000", "WEFT_DB_POOL_SIZE": "4", "WEFT_LOG_LEVEL": "error",
                                                  "WEFT_FREEZE_DAYS": "2", "WEFT_RATE_LIMIT_PER_SECOND": "1"])
        #expect(settings.port == 9000 && settings.poolSize == 3 && settings.logLevel == .debug && settings.freezeDays == 7)
        #expect(settings.rateLimit == RateLimitConfiguration(perSecond: 2, burst: 9))
    }

    @Test func emptyVariablesCountAsUnsetAndZeroMeansOff() throws {
        let settings = try Settings(environment: ["WEFT_PORT": "", "WEFT_RUN_INTERVAL": "0", "WEFT_RATE_LIMIT_PER_SECOND": "0"])
        #expect(settings.port == 8080 && settings.runInterval == nil && settings.rateLimit == nil)
    }

    static let bad: [(name: String, value: String, line: String)] = [
        ("WEFT_PORT", "80a", "WEFT_PORT=80a is not allowed: must be a whole number from 0 to 65535"),
        ("WEFT_PORT", "65536", "WEFT_PORT=65536 is not allowed: must be a whole number from 0 to 65535"),
        ("WEFT_PORT", "-1", "WEFT_PORT=-1 is not allowed: must be a whole number from 0 to 65535"),
        ("WEFT_DB_POOL_SIZE", "0", "WEFT_DB_POOL_SIZE=0 is not allowed: must be a whole number from 1 to 500"),
        ("WEFT_DB_POOL_SIZE", "501", "WEFT_DB_POOL_SIZE=501 is not allowed: must be a whole number from 1 to 500"),
        ("WEFT_FREEZE_DAYS", "100000", "WEFT_FREEZE_DAYS=100000 is not allowed: must be a whole number from 0 to 365"),
        ("WEFT_FREEZE_DAYS", "1.5", "WEFT_FREEZE_DAYS=1.5 is not allowed: must be a whole number from 0 to 365"),
        ("WEFT_LOG_LEVEL", "verbose",
         "WEFT_LOG_LEVEL=verbose is not allowed: must be one of trace, debug, info, notice, warning, error, critical"),
        ("WEFT_RUN_INTERVAL", "1h", "WEFT_RUN_INTERVAL=1h is not allowed: must be a whole number from 0 to 604800"),
        ("WEFT_RUN_INTERVAL", "99999999999999999999",
         "WEFT_RUN_INTERVAL=99999999999999999999 is not allowed: must be a whole number from 0 to 604800"),
        ("WEFT_RATE_LIMIT_PER_SECOND", "fast",
         "WEFT_RATE_LIMIT_PER_SECOND=fast is not allowed: must be a number from 0 to 1000000"),
        ("WEFT_RATE_LIMIT_PER_SECOND", "-2", "WEFT_RATE_LIMIT_PER_SECOND=-2 is not allowed: must be a number from 0 to 1000000"),
        ("WEFT_RATE_LIMIT_PER_SECOND", "nan", "WEFT_RATE_LIMIT_PER_SECOND=nan is not allowed: must be a number from 0 to 1000000"),
        ("WEFT_RATE_LIMIT_BURST", "0", "WEFT_RATE_LIMIT_BURST=0 is not allowed: must be a whole number from 1 to 1000000"),
        ("WEFT_RATE_LIMIT_ADMINS", "maybe",
         "WEFT_RATE_LIMIT_ADMINS=maybe is not allowed: must be one of 1, true, yes, 0, false, no"),
        ("WEFT_DB_STATEMENT_TIMEOUT_MS", "5s",
         "WEFT_DB_STATEMENT_TIMEOUT_MS=5s is not allowed: must be a whole number from 0 to 86400000"),
        ("WEFT_DB_LONG_STATEMENT_TIMEOUT_MS", "-1",
         "WEFT_DB_LONG_STATEMENT_TIMEOUT_MS=-1 is not allowed: must be a whole number from 0 to 86400000"),
        ("WEFT_DB_MAX_CONNECTION_AGE_SECONDS", "604801",
         "WEFT_DB_MAX_CONNECTION_AGE_SECONDS=604801 is not allowed: must be a whole number from 0 to 604800"),
        ("WEFT_DB_MAX_IDLE_SECONDS", "5m", "WEFT_DB_MAX_IDLE_SECONDS=5m is not allowed: must be a whole number from 0 to 604800"),
        ("WEFT_IDEMPOTENCY_TTL_SECONDS", "10",
         "WEFT_IDEMPOTENCY_TTL_SECONDS=10 is not allowed: must be a whole number from 60 to 31536000"),
    ]

    @Test(arguments: bad.indices)
    func eachBadVariableIsNamedWithItsRange(_ index: Int) {
        let (name, value, line) = Self.bad[index]
        #expect(throws: SettingError.self) { try Settings(environment: [name: value]) }
        do {
            _ = try Settings(environment: [name: value])
        } catch {
            #expect(error.description == line)
        }
    }

    /// `WEFT_MIP_WORKER`: `off`, an executable file, or unset; a missing file, a folder or a
    /// file that is not executable stops start-up with one line, like every other bad value.
    @Test func theMIPWorkerIsOffAnExecutableOrRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("weft-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let executable = folder.appendingPathComponent("worker").path
        let plain = folder.appendingPathComponent("plain").path
        #expect(FileManager.default.createFile(atPath: executable, contents: Data("#!/bin/sh\n".utf8), attributes: [.posixPermissions: 0o755]))
        #expect(FileManager.default.createFile(atPath: plain, contents: Data(), attributes: [.posixPermissions: 0o644]))

        #expect(try Settings(environment: ["WEFT_MIP_WORKER": "OFF"]).mipWorker == .off)
        #expect(try Settings(environment: ["WEFT_MIP_WORKER": ""]).mipWorker == .besideWeft)
        #expect(try Settings(environment: ["WEFT_MIP_WORKER": executable]).mipWorker == .path(executable))
        let missing = folder.appendingPathComponent("missing").path
        for value in [missing, plain, folder.path, "of"] {
            do {
                _ = try Settings(environment: ["WEFT_MIP_WORKER": value])
                Issue.record("WEFT_MIP_WORKER=\(value): accepted")
            } catch {
                let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
                #expect(error.description == "WEFT_MIP_WORKER=\(shown) is not allowed: must be off or the path of an executable file")
            }
        }
    }

    @Test func aBadVariableIsRefusedEvenWhenItsFlagIsGiven() {
        #expect(throws: SettingError.self) { try Settings(flags: .init(port: 80), environment: ["WEFT_PORT": "80a"]) }
    }

    @Test func badFlagsAreRefusedTheSameWay() {
        let cases: [(Settings.Flags, String)] = [
            (.init(port: 70000), "--port=70000 is not allowed: must be a whole number from 0 to 65535"),
            (.init(poolSize: 0), "--pool-size=0 is not allowed: must be a whole number from 1 to 500"),
            (.init(logLevel: "loud"), "--log-level=loud is not allowed: must be one of trace, debug, info, notice, warning, error, critical"),
            (.init(freezeDays: 366), "--freeze-days=366 is not allowed: must be a whole number from 0 to 365"),
            (.init(ratePerSecond: -1), "--rate-limit-per-second=-1.0 is not allowed: must be a number from 0 to 1000000"),
            (.init(burst: 0), "--rate-limit-burst=0 is not allowed: must be a whole number from 1 to 1000000"),
        ]
        for (flags, line) in cases {
            do {
                _ = try Settings(flags: flags, environment: [:])
                Issue.record("\(line): accepted")
            } catch {
                #expect(error.description == line)
            }
        }
    }
}
