import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import WeftAPI
import WeftCore
import WeftHTTP
import WeftStore
import WeftTestSupport

/// Lets a test act at the moment a run is about to write a capability's plan (after solving):
/// the one moment where a concurrent change matters, made deterministic.
final class WriteGate: Sendable {
    typealias Action = @Sendable (_ run: UUID, _ capability: String, _ attempt: Int) async -> Void
    private let action = Mutex<Action?>(nil)

    func set(_ new: Action?) { action.withLock { $0 = new } }

    func arrive(_ run: UUID, _ capability: String, _ attempt: Int) async {
        if let current = action.withLock({ $0 }) { await current(run, capability, attempt) }
    }
}

/// A one-shot barrier: `wait()` suspends until `open()`, or for at most `limit`: a run that
/// fails before it reaches the gate never opens it, and the test must then fail, not hang.
/// A wait that runs out records an issue and returns false.
final class Latch: Sendable {
    private let state = Mutex<(open: Bool, waiters: [UUID: CheckedContinuation<Bool, Never>])>((false, [:]))

    @discardableResult
    func wait(atMost limit: Duration = .seconds(300), sourceLocation: SourceLocation = #_sourceLocation) async -> Bool {
        let id = UUID()
        let opened = await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let resumeNow = state.withLock { state -> Bool in
                if state.open { return true }
                state.waiters[id] = continuation
                return false
            }
            if resumeNow { return continuation.resume(returning: true) }
            Task { [self] in
                try? await Task.sleep(for: limit)
                state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(returning: false)
            }
        }
        if !opened { Issue.record("the latch was not opened within \(limit)", sourceLocation: sourceLocation) }
        return opened
    }

    func open() {
        state.withLock { state in
            state.open = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }.forEach { $0.resume(returning: true) }
    }
}

/// A server like `TestServer`, with a `WriteGate` wired into its runs and run helpers.
struct RunServer {
    let server: TestServer
    let gate: WriteGate
    var pool: PostgresPool { server.pool }
    var runs: RunCoordinator { server.app.context.runs }

    static func start(freezeDays: Int = 1, mipSolver: (any MIPSolver)? = nil) async throws -> RunServer {
        let gate = WriteGate()
        var logger = Logger(label: "weft.test.runs")
        logger.logLevel = .warning
        let (pool, url) = try await TestDatabase.migratedPool()
        let configuration = AppConfiguration(freezeDays: freezeDays, mipSolver: mipSolver)
        let runs = RunCoordinator(pool: pool, configuration: configuration, logger: logger,
                                  hooks: RunHooks(beforeWrite: { await gate.arrive($0, $1, $2) }))
        let app = WeftApp(context: AppContext(pool: pool, migrations: MigrationRunner(migrations: try MigrationRunner.bundled(), logger: logger),
                                              configuration: configuration, logger: logger, runs: runs))
        return RunServer(server: try await TestServer.serve(app, databaseURL: url, logger: logger), gate: gate)
    }

    func client() throws -> TestHTTPClient { try server.client() }

    func issueKey(role: Role, brokerID: UUID? = nil) async throws -> String {
        try await server.issueKey(role: role, brokerID: brokerID)
    }

    func stop() async throws {
        await runs.shutdown()
        try await server.stop()
    }

    /// POSTs a run and returns the response.
    func post(_ key: String, _ body: String) async throws -> TestHTTPClient.Response {
        try await client().send("POST", "/v1/schedule-runs", headers: ["Authorization": "Bearer \(key)"], json: body)
    }

    /// Polls the run until it has finished, returning its last state. `timeout` only guards
    /// against a hang: far beyond any run's time limit, even on a loaded machine.
    func finished(_ key: String, _ id: String, timeout: Duration = .seconds(300)) async throws -> [String: Any] {
        let client = try client()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let response = try await client.send("GET", "/v1/schedule-runs/\(id)", headers: ["Authorization": "Bearer \(key)"])
            #expect(response.status == 200)
            let status = response.json["status"] as? String
            if status == "succeeded" || status == "failed" { return response.json }
            guard ContinuousClock.now < deadline else {
                Issue.record("run \(id) still \(status ?? "?") after \(timeout)")
                return response.json
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Starts a run and waits for it; expects the POST to be accepted.
    func run(_ key: String, _ body: String) async throws -> [String: Any] {
        let response = try await post(key, body)
        #expect(response.status == 202, "\(response.text)")
        let id = try #require(response.json["id"] as? String)
        return try await finished(key, id)
    }
}

/// Orders and allocations written straight to the database, so runs start from a plan chosen
/// by the test (a deliberately bad one), not by instant placement.
enum RunSeed {
    /// Stores an order (status refreshed from its allocations) and returns its id.
    /// `allocations`: (factory id, days from today, units, confirmed).
    @discardableResult
    static func order(_ pool: PostgresPool, broker: UUID, capability: String = "pcb.fab", quantity: Int, due: Int,
                      minLot: Int = 1, maxFactories: Int = 8, priority: Int = 3,
                      allocations: [(UUID, Int, Int, Bool)] = []) async throws -> UUID {
        try await pool.transaction { connection in
            let today = NetworkFixture.today
            let id = try connection.query("""
                INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, min_lot, max_factories, priority, status)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'unscheduled') RETURNING id
                """, broker, capability, quantity, today.adding(days: due), today, minLot, maxFactories, priority)[0].decode(UUID.self, 0)
            for (factory, day, units, confirmed) in allocations {
                try connection.query("""
                    INSERT INTO allocations (order_id, slot_id, units, unit_cost, status, confirmed_at)
                    SELECT $1, s.id, $4, s.unit_cost, CASE WHEN $5 THEN 'confirmed' ELSE 'planned' END, CASE WHEN $5 THEN now() END
                      FROM capacity_slots s WHERE s.factory_id = $2 AND s.capability = $6 AND s.day = $3
                    """, id, factory, today.adding(days: day), units, confirmed, capability)
            }
            try OrderRecords.refreshStatus(on: connection, ids: [id], reason: nil)
            return id
        }
    }

    /// Every allocation row, for before/after comparisons.
    static func allocations(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("SELECT id, order_id, slot_id, units, unit_cost, status, run_id FROM allocations ORDER BY id").map { row in
            "\(try row.decode(Int64.self, 0)) \(try row.decode(UUID.self, 1)) \(try row.decode(Int64.self, 2)) \(try row.decode(Int.self, 3)) \(try row.decode(Int64.self, 4)) \(try row.decode(String.self, 5)) \(String(describing: try row.decode(UUID?.self, 6)))"
        }
    }

    /// Every order's status, allocated units and last update.
    static func orders(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("SELECT id, status, allocated_units, updated_at FROM orders ORDER BY id").map { row in
            "\(try row.decode(UUID.self, 0)) \(try row.decode(String.self, 1)) \(try row.decode(Int.self, 2)) \(try row.decode(Date.self, 3).timeIntervalSince1970)"
        }
    }

    /// Units an order holds per factory.
    static func units(_ pool: PostgresPool, order: UUID) async throws -> [UUID: Int] {
        var result: [UUID: Int] = [:]
        for row in try await pool.query("""
            SELECT s.factory_id, sum(a.units)::int8 FROM allocations a JOIN capacity_slots s ON s.id = a.slot_id WHERE a.order_id = $1 GROUP BY 1
            """, order) {
            result[try row.decode(UUID.self, 0)] = try row.decode(Int.self, 1)
        }
        return result
    }

    /// Σ units × unit cost of all allocations (setup costs aside).
    static func unitCost(_ pool: PostgresPool) async throws -> Int64 {
        try await pool.query("SELECT coalesce(sum(units::int8 * unit_cost), 0)::int8 FROM allocations")[0].decode(Int64.self, 0)
    }
}

extension [String: Any] {
    /// A `{"hard","unserved","cost"}` object as a tuple.
    func score(_ key: String) -> (hard: Int, unserved: Int, cost: Int)? {
        guard let object = self[key] as? [String: Any], let hard = object["hard"] as? Int,
              let unserved = object["unserved"] as? Int, let cost = object["cost"] as? Int else { return nil }
        return (hard, unserved, cost)
    }

    /// The per-capability result for `capability`.
    func result(_ capability: String) -> [String: Any]? {
        (self["capability_results"] as? [[String: Any]])?.first { $0["capability"] as? String == capability }
    }
}
