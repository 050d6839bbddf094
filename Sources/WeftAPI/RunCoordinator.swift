import Foundation
import Logging
import Synchronization
import WeftCore
import WeftHTTP
import WeftStore

/// Test seams of runs (production leaves them empty).
public struct RunHooks: Sendable {
    /// Awaited just before each write attempt of a capability's plan (`attempt` 1 or 2).
    public var beforeWrite: (@Sendable (_ run: UUID, _ capability: String, _ attempt: Int) async -> Void)?

    public init(beforeWrite: (@Sendable (_ run: UUID, _ capability: String, _ attempt: Int) async -> Void)? = nil) {
        self.beforeWrite = beforeWrite
    }
}

/// Starts runs and keeps track of those running in this process: takes their locks, records
/// them, runs each in a task of its own, and stops them when the server shuts down.
public final class RunCoordinator: Sendable {
    let pool: PostgresPool
    let configuration: AppConfiguration
    let logger: Logger
    let hooks: RunHooks
    struct State {
        var jobs: [UUID: (job: RunJob, task: Task<Void, Never>)] = [:]
        var stopping = false
        /// The queue watcher (RunCoordinator+Queue), while one runs.
        var watcher: Task<Void, Never>?
        /// The watcher keeps running when nothing is queued (`weft serve`).
        var watchForever = false
        /// Something happened since the watcher's last look began (a run queued or ended).
        var lookAgain = false
        /// Looks at the queue so far (`startQueued` calls).
        var queueLooks = 0
    }

    let state = Mutex(State())
    /// Wakes the queue watcher early (a run ended here, or one was queued).
    let queueDoorbell = Doorbell()

    /// Seeds the server picks stay within 2^53 − 1, so that they survive JSON clients that read
    /// numbers as doubles (JavaScript, jq) and a run can be repeated with the seed it reports.
    static let largestRandomSeed: Int64 = (1 << 53) - 1

    /// Which process runs a job, for people reading `schedule_runs.owner`.
    static let owner = "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"

    public init(pool: PostgresPool, configuration: AppConfiguration, logger: Logger, hooks: RunHooks = RunHooks()) {
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.hooks = hooks
    }

    var isStopping: Bool { state.withLock { $0.stopping } }

    /// Ids of the runs executing in this process.
    public var running: [UUID] { state.withLock { Array($0.jobs.keys) } }

    /// Starts a run and returns its row (status `running`): the work goes on in the background.
    /// When another run (in any server process) holds one of the capabilities, the run is
    /// stored `queued` and started later by whichever process sees them free first
    /// (`startQueued`); with `if_busy: refuse` it is a 409 instead.
    ///
    /// Throws 422 for capabilities nobody offers or needs, 409 as above, and 503 while the
    /// server shuts down. With `skipBusy` (periodic runs), busy capabilities are left out
    /// instead, and only "all busy" is a 409.
    func start(_ input: ScheduleRunInput, requestedBy: UUID?, skipBusy: Bool = false) async throws -> RunRecords.Run {
        guard !state.withLock({ $0.stopping }) else { throw Self.shuttingDown }
        let known = try await pool.withConnection { try ProblemRecords.capabilities(on: $0) }
        let requested = input.capabilities.map(\.code)
        let unknown = requested.enumerated().filter { !known.contains($0.element) }
        guard unknown.isEmpty else {
            var failure = ValidationFailure(capping: unknown.map { index, code in
                FieldIssue(field: "capabilities[\(index)]", message: "no factory offers '\(code)' and no open order needs it")
            }).httpError
            failure.detail = "Nothing to re-plan for \(unknown.map { "'\($0.element)'" }.joined(separator: ", ")): no factory offers it and no open order needs it."
            throw failure
        }
        let capabilities = requested.isEmpty ? known : Array(Set(requested)).sorted()

        let id = UUID()
        let new = RunRecords.NewRun(
            id: id, capabilities: capabilities, dryRun: input.dryRun, timeLimitMs: input.timeLimitMs ?? configuration.runTimeLimitMs,
            seed: input.seed ?? Int64.random(in: 0...Self.largestRandomSeed), asOf: input.asOf ?? Day.today, owner: Self.owner, requestedBy: requestedBy)
        let queue = input.ifBusy == .queue && !skipBusy
        // Runs already waiting for these capabilities go first.
        if !skipBusy, try await pool.withConnection({ try RunRecords.queuedCovering(on: $0, capabilities) }) {
            guard queue else { throw try await busyError(capabilities) }
            return try await enqueue(new)
        }
        do {
            let locks = try await RunLockSession.acquire(connectionString: pool.configuration.connectionString, runID: id,
                                                         capabilities: capabilities, skipBusy: skipBusy)
            var held = new
            held.capabilities = locks.capabilities
            let row = held
            return try await launch(locks: locks) { try RunRecords.insert(on: $0, row) }
        } catch let busy as RunLockSession.Busy {
            guard queue else { throw try await busyError(busy.capabilities) }
            return try await enqueue(new)
        }
    }

    /// With the run's locks held: checks that no run still writes its capabilities, records it
    /// (`record`), and runs it in a task of its own. The locks are released on any failure.
    func launch(locks: RunLockSession, record: @escaping @Sendable (PostgresConnection) throws -> RunRecords.Run?) async throws -> RunRecords.Run {
        let run: RunRecords.Run?
        do {
            run = try await pool.withConnection { connection in
                // Holding these capabilities' locks, any unfinished run on them is dead: say so.
                try RunRecords.failAbandoned(on: connection)
                // One that cannot be marked so is inside a write transaction begun before its
                // lock session died (the transaction pins it alive until COMMIT): busy still.
                let lingering = Set(try RunRecords.unfinished(on: connection, covering: locks.capabilities).flatMap(\.capabilities))
                    .intersection(locks.capabilities)
                guard lingering.isEmpty else { throw RunLockSession.Busy(capabilities: lingering.sorted()) }
                return try record(connection)
            }
        } catch {
            await locks.release()
            throw error
        }
        guard let run else {
            await locks.release()
            throw RunLockSession.Busy(capabilities: locks.capabilities)
        }
        let id = run.id
        let job = RunJob(run: run, locks: locks, pool: pool, freezeDays: configuration.freezeDays, mipSolver: configuration.mipSolver,
                         hooks: hooks, logger: logger)
        state.withLock { current in
            let task = Task { [self] in
                await job.execute()
                _ = state.withLock { $0.jobs.removeValue(forKey: id) }
                // Its capabilities are free: a run queued for them (by any process) may start now.
                watch(forever: false)
            }
            current.jobs[id] = (job, task)
        }
        logger.info("run started", metadata: ["run": "\(id)", "capabilities": "\(locks.capabilities)", "dry_run": "\(run.dryRun)"])
        return run
    }

    /// Stores the run as `queued`; a queue watcher starts it when its capabilities are free.
    private func enqueue(_ new: RunRecords.NewRun) async throws -> RunRecords.Run {
        let run = try await pool.withConnection { try RunRecords.insertQueued(on: $0, new) }
        logger.info("run queued", metadata: ["run": "\(run.id)", "capabilities": "\(run.capabilities)"])
        watch(forever: false)
        return run
    }

    /// The 409 naming the runs that hold the capabilities.
    private func busyError(_ capabilities: [String]) async throws -> HTTPError {
        let holders = try await pool.withConnection { try RunRecords.unfinished(on: $0, covering: capabilities, queued: true) }
        let names = capabilities.map { "'\($0)'" }.joined(separator: ", ")
        let by = holders.isEmpty ? "another run" : "run" + (holders.count == 1 ? " " : "s ") + holders.map { $0.id.lowercasedString }.joined(separator: ", ")
        return HTTPError(.conflict, detail: "\(names) \(capabilities.count == 1 ? "is" : "are") being re-planned (or waiting to be) by \(by); at most one run per capability runs at a time. Leave out \"if_busy\": \"refuse\" to queue behind it, poll GET /v1/schedule-runs/{id} and start again when it has finished, or leave \(capabilities.count == 1 ? "it" : "them") out of capabilities.")
    }

    static let shuttingDown = HTTPError(.serviceUnavailable, detail: "The server is shutting down; start the run on another instance or retry shortly.",
                                        headers: ["Retry-After": "1"])

    /// Marks failed the runs left `running` by processes that died (their locks are gone).
    @discardableResult
    public func failAbandoned() async throws -> [UUID] {
        try await pool.withConnection { try RunRecords.failAbandoned(on: $0) }
    }

    /// Waits until every run of this process has finished (tests, and shutdown).
    public func waitForRuns() async {
        for task in state.withLock({ $0.jobs.values.map(\.task) }) { await task.value }
    }

    /// Refuses new runs, stops those still solving (they are recorded as failed, nothing
    /// written; a write already under way completes) and releases their locks. Queued runs
    /// stay queued for the other processes (or the next start) to run.
    /// The queue watcher ends first, so that it starts nothing after the runs were stopped.
    public func shutdown() async {
        let watcher = state.withLock { current in
            current.stopping = true
            return current.watcher
        }
        watcher?.cancel()
        await watcher?.value
        state.withLock { $0.watcher = nil }
        state.withLock { $0.jobs.values.map(\.job) }.forEach { $0.stop.fire() }
        await waitForRuns()
    }

    /// Starts a run of every capability every `interval` (WEFT_RUN_INTERVAL), until the task is
    /// cancelled. A tick is skipped when any process started a real run within the interval;
    /// capabilities busy with another run are left out of that tick.
    public func runPeriodically(every interval: Duration) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
                let last = try await pool.withConnection { try RunRecords.lastRealRunStart(on: $0) }
                let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) * 1e-18
                if let last, Date().timeIntervalSince(last) < seconds * 0.9 { continue }
                let run = try await start(ScheduleRunInput(), requestedBy: nil, skipBusy: true)
                logger.info("periodic run started", metadata: ["run": "\(run.id)"])
            } catch is CancellationError {
                return
            } catch {
                logger.warning("periodic run not started", metadata: ["error": "\(error)"])
            }
        }
    }
}
