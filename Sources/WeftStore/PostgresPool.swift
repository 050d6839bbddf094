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
        /// Callers waiting for a connection, by waiter id.
        var calls: [PoolStateMachine.WaiterID: Call] = [:]
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

    /// One `withConnection` call: what to run once it has a connection (on a blocking thread;
    /// returns what resumes the caller), or how to fail it while it still waits.
    struct Call: Sendable {
        let run: @Sendable (PostgresConnection) -> @Sendable () -> Void
        let fail: @Sendable (any Error) -> Void
        let watch: CancelWatch
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
    ///
    /// A caller that has to wait for a connection is not woken to be handed one: the thread
    /// that releases a connection runs the next waiter's `body` on it right away (one thread
    /// wake-up and one task resumption fewer per query when the pool is busy). The connection
    /// is back in the pool (or with the next waiter) before this returns.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let timeout = configuration.statementTimeoutMs(StatementBudget.current)
        let watch = CancelWatch()
        let waiter = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        let result: Result<T, any Error> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
                let call = Call(run: { connection in
                    watch.begin(connection)
                    let result = Result {
                        try connection.setStatementTimeout(milliseconds: timeout)
                        return try body(connection)
                    }
                    watch.end()
                    return { continuation.resume(returning: result) }
                }, fail: { error in
                    continuation.resume(returning: .failure(error))
                }, watch: watch)
                enqueue(call, waiter: waiter)
            }
        } onCancel: {
            // First the mark (a call not queued yet fails as it is queued; one running stops its
            // statement), then the queue (a call still waiting fails now).
            watch.cancel()
            abandon(waiter, with: CancellationError())
        }
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
        let (connections, waiters) = state.withLock { state -> ([PostgresConnection], [Call]) in
            let (ids, waiterIDs) = state.machine.close()
            let connections = ids.compactMap { state.connections.removeValue(forKey: $0) }
            let waiters = waiterIDs.compactMap { state.calls.removeValue(forKey: $0) }
            return (connections, waiters)
        }
        waiters.forEach { $0.fail(PostgresError(.poolClosed, "the connection pool is closed")) }
        blocking.submit { _ = connections }
    }

    /// Gives `call` a connection now (run on a blocking thread), or queues it until one is
    /// released or opened.
    private func enqueue(_ call: Call, waiter: Int) {
        let (next, stale) = state.withLock { state -> (Next, [PostgresConnection]) in
            if call.watch.isCancelled { return (.fail(CancellationError()), []) }
            // Idle connections past their age or idle time go first, so none is handed out.
            let stale = state.machine.expire(now: .now).compactMap { state.connections.removeValue(forKey: $0) }
            return (Self.next(&state, waiter: waiter, call: call), stale)
        }
        if !stale.isEmpty { blocking.submit { _ = stale } }
        switch next {
        case .run(let lease): blocking.submit { [self] in serve(lease, call) }
        case .fail(let error): call.fail(error)
        case .open(let id):
            scheduleTimeout(for: waiter)
            open(id)
        case .wait:
            scheduleTimeout(for: waiter)
        }
    }

    /// Runs `call` on its leased connection, then gives the connection back; when that hands
    /// it to a waiting call, runs that one too, here on the same thread, and so on.
    private func serve(_ lease: Lease, _ call: Call) {
        var next: (Lease, Call)? = (lease, call)
        while let (lease, call) = next {
            let resume = call.run(lease.connection)
            // Back in the pool before the caller goes on (the caller may close the pool or look
            // at its usage); the next caller's work runs after this one is resumed.
            let action = release(lease)
            resume()
            next = perform(action)
        }
    }

    private enum Next { case run(Lease), fail(any Error), open(PoolStateMachine.ConnectionID), wait }

    private static func next(_ state: inout State, waiter: Int, call: Call) -> Next {
        switch state.machine.lease(waiter) {
        case .use(let id):
            return .run(Lease(id: id, connection: state.connections[id]!))
        case .failClosed:
            return .fail(PostgresError(.poolClosed, "the connection pool is closed"))
        case .waitAndOpen(let id):
            state.calls[waiter] = call
            return .open(id)
        case .wait:
            state.calls[waiter] = call
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
        let (expired, next) = state.withLock { state -> ([Call], ContinuousClock.Instant?) in
            // Only those still waiting: the machine forgets a waiter once it is served or gone.
            let expired = state.deadlines.removeExpired(now: now).compactMap { waiter in
                state.machine.cancel(waiter) ? state.calls.removeValue(forKey: waiter) : nil
            }
            let next = state.deadlines.first
            state.deadlineSweepScheduled = next != nil
            return (expired, next)
        }
        let timeout = configuration.leaseTimeout
        for call in expired {
            call.fail(PostgresError(.poolTimeout, "no database connection became free within \(timeout)"))
        }
        if let next { scheduleDeadlineSweep(at: next) }
    }

    /// Fails `waiter` if it still waits for a connection (one not queued yet fails when it is
    /// queued: its `CancelWatch` is marked; one already served stops through its watch).
    private func abandon(_ waiter: Int, with error: any Error) {
        let call = state.withLock { state -> Call? in
            state.machine.cancel(waiter) ? state.calls.removeValue(forKey: waiter) : nil
        }
        call?.fail(error)
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
                // The first waiter's work runs here, on the thread that opened its connection.
                if let (lease, call) = perform(action) { serve(lease, call) }
            } catch {
                logger.warning("cannot open a database connection", metadata: ["error": "\(error)"])
                let failing = state.withLock { state -> [Call] in
                    guard case .fail(let waiters) = state.machine.openFailed() else { return [] }
                    return waiters.compactMap { state.calls.removeValue(forKey: $0) }
                }
                for call in failing { call.fail(error) }
            }
        }
    }

    /// Gives a connection back; what to do with it next is for ``perform(_:)``.
    private func release(_ lease: Lease) -> PoolStateMachine.ReturnAction {
        // A connection left inside a transaction or broken is not safe to hand on.
        let broken = lease.connection.isBroken || !lease.connection.isIdle
        return state.withLock { $0.machine.release(lease.id, broken: broken, now: .now) }
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

    /// Carries out the pool's decision about a connection given back or opened; a hand-over
    /// is returned for the caller (on a blocking thread) to serve.
    private func perform(_ action: PoolStateMachine.ReturnAction) -> (Lease, Call)? {
        switch action {
        case .park:
            return nil
        case .handOver(let id, let waiter):
            let (call, connection) = state.withLock { ($0.calls.removeValue(forKey: waiter), $0.connections[id]!) }
            let lease = Lease(id: id, connection: connection)
            guard let call else {
                // Not expected (a waiter leaves the machine and the calls together); give the
                // connection back rather than keep it leased for nobody.
                return perform(release(lease))
            }
            return (lease, call)
        case .close(let id):
            let connection = state.withLock { $0.connections.removeValue(forKey: id) }
            blocking.submit { _ = connection }
            return nil
        case .closeAndOpen(let closing, let opening):
            let connection = state.withLock { $0.connections.removeValue(forKey: closing) }
            blocking.submit { _ = connection }
            open(opening)
            return nil
        }
    }
}

/// Cancels a call's statement only while its body runs on a connection: never after the body
/// has finished and the connection may already serve someone else.
final class CancelWatch: Sendable {
    private struct State: @unchecked Sendable {
        var connection: PostgresConnection?
        var cancelled = false
    }
    private let state = Mutex(State())

    /// True once the caller went away.
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    /// The body starts on `connection`: statements run, unless the caller is already gone.
    func begin(_ connection: PostgresConnection) {
        state.withLock { state in
            state.connection = connection
            connection.resetCancel()
            if state.cancelled { connection.markCancelled() }
        }
    }

    /// The body has finished; later cancellation does nothing.
    func end() {
        state.withLock { $0.connection = nil }
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
            guard let connection = state.connection else { return false }
            connection.markCancelled()
            return true
        }
        guard send else { return }
        DispatchQueue.global().async { [self] in
            state.withLock { state in
                state.connection?.sendCancel()
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
