import Foundation
import Logging

/// A start-up setting outside what it allows. Its description is the one line the `weft`
/// binary prints before it exits: the setting's name, the value given and the allowed values.
public struct SettingError: Error, Equatable, CustomStringConvertible {
    public let description: String

    init(_ name: String, _ value: String, _ allowed: String) {
        // A value too long to be a typo is cut: the line stays one readable line.
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        description = "\(name)=\(shown) is not allowed: \(allowed)"
    }
}

/// Every setting the `weft` binary reads at start-up, from flags or the environment: the one
/// place that parses and checks them, with the allowed values (docs/operations.md lists the
/// same). A flag overrides its variable; every `WEFT_*` variable that is set is checked even
/// then, so a bad one never goes unnoticed.
public struct Settings: Sendable, Equatable {
    public var databaseURL: String
    public var host: String
    public var port: Int
    public var poolSize: Int
    public var logLevel: Logger.Level
    public var freezeDays: Int
    public var reportsDatabaseURL: String?
    /// Seconds between automatic schedule runs; nil: never (`WEFT_RUN_INTERVAL` unset or 0).
    public var runInterval: Duration?
    /// nil: unlimited (`WEFT_RATE_LIMIT_PER_SECOND` unset or 0).
    public var rateLimit: RateLimitConfiguration?
    /// `statement_timeout` of a request's statements (`WEFT_DB_STATEMENT_TIMEOUT_MS`, default 15 s); nil: none.
    public var requestStatementTimeout: Duration?
    /// `statement_timeout` of runs and reports (`WEFT_DB_LONG_STATEMENT_TIMEOUT_MS`, default 5 min); nil: none.
    public var longStatementTimeout: Duration?
    /// Pooled connections are closed once this old (`WEFT_DB_MAX_CONNECTION_AGE_SECONDS`, default 30 min); nil: never.
    public var maxConnectionAge: Duration?
    /// Pooled connections unused this long are closed (`WEFT_DB_MAX_IDLE_SECONDS`, default 5 min); nil: never.
    public var maxIdleTime: Duration?
    /// How long an order's Idempotency-Key is remembered (`WEFT_IDEMPOTENCY_TTL_SECONDS`, default 24 h).
    public var idempotencyTTLSeconds: Int
    /// Which executable runs the schedule runs' exact step (`WEFT_MIP_WORKER`).
    public var mipWorker: MIPWorkerSetting

    /// `WEFT_MIP_WORKER`: the exact step's worker process (CBC).
    public enum MIPWorkerSetting: Sendable, Equatable {
        /// Unset: `weft-mip-worker` beside the `weft` binary, if it is there.
        case besideWeft
        /// `off`: no exact step.
        case off
        /// An executable file, checked at start-up.
        case path(String)
    }

    /// Allowed values, shared by the flags' checks and the variables'.
    public enum Allowed {
        public static let port = 0...65_535
        public static let poolSize = 1...500
        public static let freezeDays = 0...365
        /// Up to a week.
        public static let runIntervalSeconds = 0...604_800
        public static let ratePerSecond = 0.0...1_000_000.0
        public static let burst = 1...1_000_000
        public static let logLevels = Logger.Level.allCases.map(\.rawValue)
        public static let switches = ["1", "true", "yes", "0", "false", "no"]
        /// Milliseconds, up to a day; 0: no limit.
        public static let statementTimeoutMs = 0...86_400_000
        /// Seconds, up to a week; 0: never.
        public static let connectionLifetimeSeconds = 0...604_800
        /// A minute to a year.
        public static let idempotencyTTLSeconds = 60...31_536_000
        public static let mipWorker = "must be off or the path of an executable file"

        public static func wholeNumber(_ range: ClosedRange<Int>) -> String {
            "must be a whole number from \(range.lowerBound) to \(range.upperBound)"
        }
        public static func number(_ range: ClosedRange<Double>) -> String {
            "must be a number from \(format(range.lowerBound)) to \(format(range.upperBound))"
        }
        public static func oneOf(_ values: [String]) -> String { "must be one of \(values.joined(separator: ", "))" }

        static func format(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        }
    }

    /// Values given as flags; nil: not given.
    public struct Flags: Sendable {
        public var databaseURL: String?
        public var host: String?
        public var port: Int?
        public var poolSize: Int?
        public var logLevel: String?
        public var freezeDays: Int?
        public var reportsDatabaseURL: String?
        public var ratePerSecond: Double?
        public var burst: Int?

        public init(databaseURL: String? = nil, host: String? = nil, port: Int? = nil, poolSize: Int? = nil, logLevel: String? = nil,
                    freezeDays: Int? = nil, reportsDatabaseURL: String? = nil, ratePerSecond: Double? = nil, burst: Int? = nil) {
            self.databaseURL = databaseURL; self.host = host; self.port = port; self.poolSize = poolSize; self.logLevel = logLevel
            self.freezeDays = freezeDays; self.reportsDatabaseURL = reportsDatabaseURL; self.ratePerSecond = ratePerSecond
            self.burst = burst
        }
    }

    /// The settings from `flags` over `environment`; the first value out of range throws.
    public init(flags: Flags = Flags(), environment: [String: String] = ProcessInfo.processInfo.environment) throws(SettingError) {
        let env = SettingsReader(environment: environment)
        // Every variable first, so that a bad one is refused even where a flag overrides it.
        let envPort = try env.int("WEFT_PORT", Allowed.port)
        let envPoolSize = try env.int("WEFT_DB_POOL_SIZE", Allowed.poolSize)
        let envLevel = try env.oneOf("WEFT_LOG_LEVEL", Allowed.logLevels)
        let envFreezeDays = try env.int("WEFT_FREEZE_DAYS", Allowed.freezeDays)
        let interval = try env.int("WEFT_RUN_INTERVAL", Allowed.runIntervalSeconds) ?? 0
        let envRate = try env.double("WEFT_RATE_LIMIT_PER_SECOND", Allowed.ratePerSecond)
        let envBurst = try env.int("WEFT_RATE_LIMIT_BURST", Allowed.burst)
        let admins = try env.oneOf("WEFT_RATE_LIMIT_ADMINS", Allowed.switches).map { ["1", "true", "yes"].contains($0) } ?? false
        let requestMs = try env.int("WEFT_DB_STATEMENT_TIMEOUT_MS", Allowed.statementTimeoutMs) ?? 15_000
        let longMs = try env.int("WEFT_DB_LONG_STATEMENT_TIMEOUT_MS", Allowed.statementTimeoutMs) ?? 300_000
        let ageSeconds = try env.int("WEFT_DB_MAX_CONNECTION_AGE_SECONDS", Allowed.connectionLifetimeSeconds) ?? 1_800
        let idleSeconds = try env.int("WEFT_DB_MAX_IDLE_SECONDS", Allowed.connectionLifetimeSeconds) ?? 300
        idempotencyTTLSeconds = try env.int("WEFT_IDEMPOTENCY_TTL_SECONDS", Allowed.idempotencyTTLSeconds) ?? 86_400
        mipWorker = try env.mipWorker("WEFT_MIP_WORKER")
        requestStatementTimeout = requestMs > 0 ? .milliseconds(requestMs) : nil
        longStatementTimeout = longMs > 0 ? .milliseconds(longMs) : nil
        maxConnectionAge = ageSeconds > 0 ? .seconds(ageSeconds) : nil
        maxIdleTime = idleSeconds > 0 ? .seconds(idleSeconds) : nil

        databaseURL = flags.databaseURL ?? env.string("DATABASE_URL") ?? ""
        host = flags.host ?? env.string("WEFT_HOST") ?? "127.0.0.1"
        reportsDatabaseURL = flags.reportsDatabaseURL ?? env.string("WEFT_REPORTS_DATABASE_URL")
        port = try Self.flag("--port", flags.port, Allowed.port) ?? envPort ?? 8080
        poolSize = try Self.flag("--pool-size", flags.poolSize, Allowed.poolSize) ?? envPoolSize ?? 10
        if let given = flags.logLevel, !Allowed.logLevels.contains(given) {
            throw SettingError("--log-level", given, Allowed.oneOf(Allowed.logLevels))
        }
        logLevel = Logger.Level(rawValue: flags.logLevel ?? envLevel ?? "info")!
        freezeDays = try Self.flag("--freeze-days", flags.freezeDays, Allowed.freezeDays) ?? envFreezeDays ?? 1
        runInterval = interval > 0 ? .seconds(interval) : nil
        if let given = flags.ratePerSecond, !Allowed.ratePerSecond.contains(given) {
            throw SettingError("--rate-limit-per-second", "\(given)", Allowed.number(Allowed.ratePerSecond))
        }
        let burst = try Self.flag("--rate-limit-burst", flags.burst, Allowed.burst) ?? envBurst
        let rate = flags.ratePerSecond ?? envRate ?? 0
        rateLimit = rate > 0 ? RateLimitConfiguration(perSecond: rate, burst: burst, limitAdmins: admins) : nil
    }

    private static func flag(_ name: String, _ value: Int?, _ range: ClosedRange<Int>) throws(SettingError) -> Int? {
        guard let value else { return nil }
        guard range.contains(value) else { throw SettingError(name, String(value), Allowed.wholeNumber(range)) }
        return value
    }
}

/// Reads and checks environment variables; an empty variable counts as unset.
public struct SettingsReader: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public func string(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return nil }
        return value
    }

    public func int(_ name: String, _ range: ClosedRange<Int>) throws(SettingError) -> Int? {
        guard let text = string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else { throw SettingError(name, text, Settings.Allowed.wholeNumber(range)) }
        return value
    }

    public func double(_ name: String, _ range: ClosedRange<Double>) throws(SettingError) -> Double? {
        guard let text = string(name) else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw SettingError(name, text, Settings.Allowed.number(range))
        }
        return value
    }

    /// `off` (any case), an executable file (not a folder), or unset.
    public func mipWorker(_ name: String) throws(SettingError) -> Settings.MIPWorkerSetting {
        guard let text = string(name) else { return .besideWeft }
        let value = text.trimmingCharacters(in: .whitespaces)
        if value.lowercased() == "off" { return .off }
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: value, isDirectory: &isFolder), !isFolder.boolValue,
              FileManager.default.isExecutableFile(atPath: value) else {
            throw SettingError(name, text, Settings.Allowed.mipWorker)
        }
        return .path(value)
    }

    public func oneOf(_ name: String, _ allowed: [String]) throws(SettingError) -> String? {
        guard let text = string(name) else { return nil }
        let value = text.lowercased()
        guard allowed.contains(value) else { throw SettingError(name, text, Settings.Allowed.oneOf(allowed)) }
        return value
    }
}
