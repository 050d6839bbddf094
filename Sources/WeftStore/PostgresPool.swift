import Dispatch
import Foundation
import Logging
import Synchronization

/// How to reach PostgreSQL, how many connections to keep and for how long, and how long a
/// statement may run. The time limits default to none here; `weft serve` sets its own
/// defaults (docs/operations.md).
public struct PostgresConfiguration: Sendable {
    /// A libpq connection string or URI; empty means libpq's defaults (PGHOST, ...).
    public var connectionString: String
    /// At most this many connections are open at once.
    public var maxConnections: Int
    /// How long opening a connection may take before it fails.
    public var connectTimeoutSeconds: Int
    /// How long a caller waits for a free connection before `poolTimeout`.
    public var leaseTimeout: Duration
    /// `statement_timeout` of statements run on behalf of a request (`StatementBudget.request`);
    /// nil: none.
    public var requestStatementTimeout: Duration?
    /// `statement_timeout` of schedule runs and reports (`StatementBudget.long`); nil: none.
    public var longStatementTimeout: Duration?
    /// A connection older than this is closed instead of reused; nil: kept for ever.
    public var maxConnectionAge: Duration?
    /// A connection idle for longer than this is closed; nil: kept for ever.
    public var maxIdleTime: Duration?

    public init(connectionString: String, maxConnections: Int = 10, connectTimeoutSeconds: Int = 5, leaseTimeout: Duration = .seconds(10),
                requestStatementTimeout: Duration? = nil, longStatementTimeout: Duration? = nil,
                maxConnectionAge: Duration? = nil, maxIdleTime: Duration? = nil) {
        self.connectionString = connectionString
        self.maxConnections = maxConnections
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.leaseTimeout = leaseTimeout
        self.requestStatementTimeout = requestStatementTimeout
        self.longStatementTimeout = longStatementTimeout
        self.maxConnectionAge = maxConnectionAge
        self.maxIdleTime = maxIdleTime
    }

    /// The `statement_timeout` for a budget, in milliseconds (nil: none).
    func statementTimeoutMs(_ budget: StatementBudget) -> Int? {
        let limit: Duration?
        switch budget {
        case .request: limit = requestStatementTimeout
        case .long: limit = longStatementTimeout
        case .unlimited: limit = nil
        }
        return limit.map { milliseconds($0) }
    }
}

/// Which time limit statements get (`statement_timeout`), chosen by the task that runs them:
/// requests by default; schedule runs and reports run inside `StatementBudget.$current.withValue(.long)`.
public enum StatementBudget: Sendable {
    /// A request's statements: a tight limit, so a slow statement answers 503 instead of
    /// holding a connection and a thread.
    case request
    /// Schedule runs and reports: long reads and writes.
    case long
    /// No limit (migrations).
    case unlimited

    /// The budget of the current task (and its child tasks).
    @TaskLocal public static var current: StatementBudget = .request
}

func milliseconds(_ duration: Duration) -> Int {
    let c = duration.components
    return Int(c.seconds) * 1000 + Int(c.attoseconds / 1_000_000_000_000_000)
}

/// A bounded pool of libpq connections. Callers pass synchronous closures that run on the
/// pool's own blocking threads (libpq blocks), so neither event loops nor Swift's
/// cooperative threads ever wait on the database.
public final class PostgresPool: Sendable {
    public let configuration: PostgresConfiguration
    let logger: Logger

    private struct State: ~Copyable {
        var machine: PoolStateMachine
        var connections: [PoolStateMachine.ConnectionID: PostgresConnection] = [:]
        var continuations: [PoolStateMachine.WaiterID: CheckedContinuation<Lease, any Error>] = [:]
        var cancelled: Set<PoolStateMachine.WaiterID> = []
        var nextWaiter = 0
        /// Each waiter's lease deadline in the order they began waiting; all waits are equally
        /// long, so deadlines only grow. Waiters served meanwhile stay until the sweep passes them.
        var deadlines = LeaseDeadlines()
        /// Whether a sweep of `deadlines` is scheduled.
        var deadlineSweepScheduled = false
    }

    struct Lease: @unchecked Sendable {
        let id: PoolStateMachine.ConnectionID
        let connection: PostgresConnection
    }

    private let state: Mutex<State>
    private let blocking: BlockingExecutor
    /// Lease timeouts only; nothing blocking runs here.
    private let timers = DispatchQueue(label: "weft.postgres.timers")

    public init(configuration: PostgresConfiguration, logger: Logger = Logger(label: "weft.store")) {
        self.configuration = configuration
        self.logger = logger
        self.state = Mutex(State(machine: PoolStateMachine(maxConnections: configuration.maxConnections,
                                                           maxAge: configuration.maxConnectionAge, maxIdle: configuration.maxIdleTime)))
        // One thread per connection, plus one so opening a connection never waits for a query.
        self.blocking = BlockingExecutor(threads: configuration.maxConnections + 1, name: "weft-postgres")
        scheduleSweep()
    }

    deinit { blocking.shutdown() }

    /// True once `close()` was called.
    public var isClosed: Bool { state.withLock { $0.machine.isClosed } }

    /// Connections open right now and how many of them are in use (for metrics).
    public var usage: (open: Int, inUse: Int, waiting: Int) {
        state.withLock { ($0.machine.total, $0.machine.leased.count, $0.machine.waiters.count) }
    }

    /// Runs `body` with a connection on a blocking thread. A connection that broke during
    /// `body` is closed and replaced for later callers; this caller sees the one error.
    ///
    /// Statements get the `statement_timeout` of the task's `StatementBudget`. Cancelling the
    /// calling task (a client that went away) cancels the running statement on the server
    /// (`PQcancel`) and fails the statements after it, so the connection and its thread are
    /// free again at once.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let lease = try await self.lease()
        let timeout = configuration.statementTimeoutMs(StatementBudget.current)
        let watch = CancelWatch(lease.connection)
        let result: Result<T, any Error> = await withTaskCancellationHandler {
            await runBlocking {
                watch.begin()
                defer { watch.end() }
                return Result {
                    try lease.connection.setStatementTimeout(milliseconds: timeout)
                    return try body(lease.connection)
                }
            }
        } onCancel: {
            watch.cancel()
        }
        release(lease)
        return try result.get()
    }

    /// Runs `sql` once and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ binds: any PostgresEncodable...) async throws -> PostgresResult {
        let sendableBinds = binds
        return try await withConnection { try $0.query(sql, binds: sendableBinds) }
    }

    /// Closes idle connections, fails waiters, and closes the rest as they are released.
    public func close() {
        let (connections, waiters) = state.withLock { state -> ([PostgresConnection], [CheckedContinuation<Lease, any Error>]) in
            let (ids, waiterIDs) = state.machine.close()
            let connections = ids.compactMap { state.connections.removeValue(forKey: $0) }
            let waiters = waiterIDs.compactMap { state.continuations.removeValue(forKey: $0) }
            return (connections, waiters)
        }
        waiters.forEach { $0.resume(throwing: PostgresError(.poolClosed, "the connection pool is closed")) }
        blocking.submit { _ = connections }
    }

    func runBlocking<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            blocking.submit { continuation.resume(returning: work()) }
        }
    }

    private func lease() async throws -> Lease {
        let waiter = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Lease, any Error>) in
                let (next, stale) = state.withLock { state -> (Next, [PostgresConnection]) in
                    if state.cancelled.remove(waiter) != nil { return (.fail(CancellationError()), []) }
                    // Idle connections past their age or idle time go first, so none is handed out.
                    let stale = state.machine.expire(now: .now).compactMap { state.connections.removeValue(forKey: $0) }
                    return (Self.next(&state, waiter: waiter, continuation: continuation), stale)
                }
                if !stale.isEmpty { blocking.submit { _ = stale } }
                switch next {
                case .resume(let lease): continuation.resume(returning: lease)
                case .fail(let error): continuation.resume(throwing: error)
                case .open(let id):
                    scheduleTimeout(for: waiter)
                    open(id)
                case .wait:
                    scheduleTimeout(for: waiter)
                }
            }
        } onCancel: {
            self.abandon(waiter, with: CancellationError(), markCancelled: true)
        }
    }

    private enum Next { case resume(Lease), fail(any Error), open(PoolStateMachine.ConnectionID), wait }

    private static func next(_ state: inout State, waiter: Int, continuation: CheckedContinuation<Lease, any Error>) -> Next {
        switch state.machine.lease(waiter) {
        case .use(let id):
            return .resume(Lease(id: id, connection: state.connections[id]!))
        case .failClosed:
            return .fail(PostgresError(.poolClosed, "the connection pool is closed"))
        case .waitAndOpen(let id):
            state.continuations[waiter] = continuation
            return .open(id)
        case .wait:
            state.continuations[waiter] = continuation
            return .wait
        }
    }

    /// Gives `waiter` until the lease timeout. No timer per wait (a Dispatch timer each cost
    /// as much CPU as the query it waited for): the deadline joins a queue, and one sweep at
    /// a time, scheduled for the oldest deadline, times out whoever is still waiting.
    private func scheduleTimeout(for waiter: Int) {
        let deadline = ContinuousClock.now + configuration.leaseTimeout
        let schedule = state.withLock { state -> Bool in
            state.deadlines.append(waiter, deadline)
            guard !state.deadlineSweepScheduled else { return false }
            state.deadlineSweepScheduled = true
            return true
        }
        if schedule { scheduleDeadlineSweep(at: deadline) }
    }

    private func scheduleDeadlineSweep(at deadline: ContinuousClock.Instant) {
        let wait = max(.zero, ContinuousClock.now.duration(to: deadline))
        let c = wait.components
        let nanos = Int(c.seconds) * 1_000_000_000 + Int(c.attoseconds / 1_000_000_000) + 1
        // Weak: a waiting caller keeps the pool alive; a pool nobody uses need not wait for its sweep.
        timers.asyncAfter(deadline: .now() + .nanoseconds(nanos)) { [weak self] in self?.sweepDeadlines() }
    }

    /// Times out every waiter whose deadline has passed (those served meanwhile are skipped by
    /// `abandon`), then schedules the next sweep for the oldest deadline left, if any.
    private func sweepDeadlines() {
        let now = ContinuousClock.now
        let (expired, next) = state.withLock { state -> ([CheckedContinuation<Lease, any Error>], ContinuousClock.Instant?) in
            // Only those still waiting: the machine forgets a waiter once it is served or gone.
            let expired = state.deadlines.removeExpired(now: now).compactMap { waiter in
                state.machine.cancel(waiter) ? state.continuations.removeValue(forKey: waiter) : nil
            }
            let next = state.deadlines.first
            state.deadlineSweepScheduled = next != nil
            return (expired, next)
        }
        let timeout = configuration.leaseTimeout
        for continuation in expired {
            continuation.resume(throwing: PostgresError(.poolTimeout, "no database connection became free within \(timeout)"))
        }
        if let next { scheduleDeadlineSweep(at: next) }
    }

    private func abandon(_ waiter: Int, with error: any Error, markCancelled: Bool) {
        let continuation = state.withLock { state -> CheckedContinuation<Lease, any Error>? in
            if state.machine.cancel(waiter) { return state.continuations.removeValue(forKey: waiter) }
            // Not queued yet: remember, so lease() fails as soon as it runs.
            if markCancelled, state.continuations[waiter] == nil { state.cancelled.insert(waiter) }
            return nil
        }
        continuation?.resume(throwing: error)
    }

    private func open(_ id: PoolStateMachine.ConnectionID) {
        let configuration = configuration
        blocking.submit { [self] in
            do {
                let connection = try PostgresConnection.connect(configuration.connectionString, connectTimeoutSeconds: configuration.connectTimeoutSeconds)
                let action = state.withLock { state -> PoolStateMachine.ReturnAction in
                    state.connections[id] = connection
                    return state.machine.opened(id)
                }
                perform(action)
            } catch {
                logger.warning("cannot open a database connection", metadata: ["error": "\(error)"])
                let waiter = state.withLock { state -> CheckedContinuation<Lease, any Error>? in
                    guard case .fail(let waiter) = state.machine.openFailed() else { return nil }
                    return state.continuations.removeValue(forKey: waiter)
                }
                waiter?.resume(throwing: error)
            }
        }
    }

    private func release(_ lease: Lease) {
        // A connection left inside a transaction or broken is not safe to hand on.
        let broken = lease.connection.isBroken || !lease.connection.isIdle
        let action = state.withLock { $0.machine.release(lease.id, broken: broken, now: .now) }
        perform(action)
    }

    /// Closes idle connections past their age or idle time.
    private func expireIdle() {
        let stale = state.withLock { state -> [PostgresConnection] in
            state.machine.expire(now: .now).compactMap { state.connections.removeValue(forKey: $0) }
        }
        if !stale.isEmpty { blocking.submit { _ = stale } }
    }

    /// Checks for expired idle connections every few seconds while the pool is open (a pool
    /// that goes quiet shrinks without waiting for its next lease).
    private func scheduleSweep() {
        guard configuration.maxIdleTime != nil || configuration.maxConnectionAge != nil else { return }
        let limits = [configuration.maxIdleTime, configuration.maxConnectionAge].compactMap { $0 }
        let every = max(.seconds(1), min(.seconds(30), limits.min()! / 4))
        timers.asyncAfter(deadline: .now() + .milliseconds(milliseconds(every))) { [weak self] in
            guard let self, !self.isClosed else { return }
            self.expireIdle()
            self.scheduleSweep()
        }
    }

    private func perform(_ action: PoolStateMachine.ReturnAction) {
        switch action {
        case .park:
            break
        case .handOver(let id, let waiter):
            let (continuation, connection) = state.withLock { ($0.continuations.removeValue(forKey: waiter), $0.connections[id]!) }
            continuation?.resume(returning: Lease(id: id, connection: connection))
        case .close(let id):
            let connection = state.withLock { $0.connections.removeValue(forKey: id) }
            blocking.submit { _ = connection }
        case .closeAndOpen(let closing, let opening):
            let connection = state.withLock { $0.connections.removeValue(forKey: closing) }
            blocking.submit { _ = connection }
            open(opening)
        }
    }
}

/// Cancels a leased connection's statement only while the caller's body runs on it: never
/// after the body has finished and the connection may already serve someone else.
final class CancelWatch: Sendable {
    private let connection: PostgresConnection
    private let state = Mutex<(running: Bool, cancelled: Bool)>((false, false))

    init(_ connection: PostgresConnection) { self.connection = connection }

    /// The body starts: statements run, unless the caller is already gone.
    func begin() {
        state.withLock { state in
            state.running = true
            connection.resetCancel()
            if state.cancelled { connection.markCancelled() }
        }
    }

    /// The body has finished; later cancellation does nothing.
    func end() {
        state.withLock { $0.running = false }
    }

    /// The caller went away. Called where the task was cancelled (an event loop, when a
    /// client's connection closes), so it only marks the connection (later statements fail
    /// at once) and sends `PQcancel`, which blocks, from a Dispatch thread. That send runs
    /// under the lock and only while the body still runs, so `end()` (and with it the
    /// release of the connection) waits for it, and a late cancel never reaches the
    /// connection's next user.
    func cancel() {
        let send = state.withLock { state -> Bool in
            state.cancelled = true
            guard state.running else { return false }
            connection.markCancelled()
            return true
        }
        guard send else { return }
        DispatchQueue.global().async { [self] in
            state.withLock { state in
                if state.running { connection.sendCancel() }
            }
        }
    }
}

/// Lease deadlines in the order they were set (so in time order): appended at the back,
/// removed from the front once passed.
struct LeaseDeadlines {
    private var waiters: [Int] = []
    private var deadlines: [ContinuousClock.Instant] = []
    private var head = 0

    mutating func append(_ waiter: Int, _ deadline: ContinuousClock.Instant) {
        waiters.append(waiter)
        deadlines.append(deadline)
    }

    /// The oldest deadline still queued.
    var first: ContinuousClock.Instant? { head < deadlines.count ? deadlines[head] : nil }

    /// Removes and returns the waiters whose deadline is `now` or earlier.
    mutating func removeExpired(now: ContinuousClock.Instant) -> [Int] {
        let start = head
        while head < deadlines.count, deadlines[head] <= now { head += 1 }
        let expired = Array(waiters[start..<head])
        if head == deadlines.count {
            waiters.removeAll(keepingCapacity: true)
            deadlines.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > deadlines.count {
            waiters.removeFirst(head)
            deadlines.removeFirst(head)
            head = 0
        }
        return expired
    }
}
