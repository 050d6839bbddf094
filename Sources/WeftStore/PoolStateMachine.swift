/// The connection pool's decisions, with no IO: which waiter gets which connection, when to
/// open a new one, when to close one. `PostgresPool` performs the actions it returns; tests
/// drive it directly, with the time passed in.
///
/// Connections do not live for ever: one older than `maxAge` is closed when it is given back
/// instead of being kept, and `expire(now:)` closes idle ones older than `maxAge` or idle for
/// longer than `maxIdle` (the pool calls it before every lease and now and then). So a pool
/// shrinks back after a burst, and sessions are renewed (server-side memory, a moved primary).
struct PoolStateMachine: Sendable {
    typealias ConnectionID = Int
    typealias WaiterID = Int
    typealias Instant = ContinuousClock.Instant

    enum LeaseAction: Equatable {
        /// Use this idle connection now.
        case use(ConnectionID)
        /// Wait; and open a new connection, which will go to the first waiter.
        case waitAndOpen(ConnectionID)
        /// Wait for a connection to be released.
        case wait
        /// The pool is closed.
        case failClosed
    }

    enum ReturnAction: Equatable {
        /// Give the connection to this waiter.
        case handOver(ConnectionID, WaiterID)
        /// Keep the connection idle.
        case park
        /// Close the connection.
        case close(ConnectionID)
        /// Close the broken connection and open a replacement for the waiters.
        case closeAndOpen(closing: ConnectionID, opening: ConnectionID)
    }

    enum OpenFailedAction: Equatable {
        /// Tell these waiters (oldest first) the database cannot be reached, so they fail fast
        /// instead of timing out.
        case fail([WaiterID])
        case none
    }

    let maxConnections: Int
    /// A connection older than this is closed rather than reused; nil: no limit.
    let maxAge: Duration?
    /// An idle connection unused for longer than this is closed; nil: no limit.
    let maxIdle: Duration?
    private(set) var idle: [ConnectionID] = []
    /// When each open connection was opened, and since when each idle one is idle.
    private var born: [ConnectionID: Instant] = [:]
    private var idleSince: [ConnectionID: Instant] = [:]
    private(set) var leased: Set<ConnectionID> = []
    private(set) var opening = 0
    private(set) var waiters: [WaiterID] = []
    private(set) var isClosed = false
    private var nextConnectionID = 0

    init(maxConnections: Int, maxAge: Duration? = nil, maxIdle: Duration? = nil) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.maxConnections = maxConnections
        self.maxAge = maxAge
        self.maxIdle = maxIdle
    }

    var total: Int { idle.count + leased.count + opening }

    mutating func lease(_ waiter: WaiterID) -> LeaseAction {
        if isClosed { return .failClosed }
        if let connection = idle.popLast() {
            idleSince[connection] = nil
            leased.insert(connection)
            return .use(connection)
        }
        waiters.append(waiter)
        if total < maxConnections {
            return .waitAndOpen(newConnectionID())
        }
        return .wait
    }

    /// A connection finished opening.
    mutating func opened(_ connection: ConnectionID, now: Instant = .now) -> ReturnAction {
        opening -= 1
        born[connection] = now
        return place(connection, now: now)
    }

    /// A connection could not be opened. The oldest waiter fails (it would have had that
    /// connection), and so does every waiter nothing else can serve: each connection still
    /// opening or leased may serve one waiter later; the waiters beyond those would only wait
    /// out their lease timeout, since nobody opens a connection for them.
    mutating func openFailed() -> OpenFailedAction {
        opening = max(0, opening - 1)
        guard !waiters.isEmpty else { return .none }
        let servable = opening + leased.count
        let failing = max(1, waiters.count - servable)
        defer { waiters.removeFirst(failing) }
        return .fail(Array(waiters.prefix(failing)))
    }

    /// A caller is done with a connection; `broken` ones, and those older than `maxAge`, are
    /// closed, never reused (and replaced at once when someone is waiting).
    mutating func release(_ connection: ConnectionID, broken: Bool, now: Instant = .now) -> ReturnAction {
        leased.remove(connection)
        if broken || isTooOld(connection, now: now) {
            born[connection] = nil
            if !isClosed, !waiters.isEmpty, total < maxConnections {
                return .closeAndOpen(closing: connection, opening: newConnectionID())
            }
            return .close(connection)
        }
        return place(connection, now: now)
    }

    /// Takes out of the pool the idle connections older than `maxAge` or idle for longer than
    /// `maxIdle`, for the caller to close. Leased connections are never touched.
    mutating func expire(now: Instant) -> [ConnectionID] {
        let stale = idle.filter { connection in
            isTooOld(connection, now: now) || (maxIdle.map { limit in idleSince[connection].map { $0.duration(to: now) > limit } ?? false } ?? false)
        }
        guard !stale.isEmpty else { return [] }
        idle.removeAll { stale.contains($0) }
        for connection in stale {
            born[connection] = nil
            idleSince[connection] = nil
        }
        return stale
    }

    private func isTooOld(_ connection: ConnectionID, now: Instant) -> Bool {
        guard let maxAge, let born = born[connection] else { return false }
        return born.duration(to: now) > maxAge
    }

    /// A waiter gave up (timeout or cancellation). False when it was already served.
    mutating func cancel(_ waiter: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(of: waiter) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Closes the pool: idle connections to close now, waiters to fail. Leased ones close on release.
    mutating func close() -> (connections: [ConnectionID], waiters: [WaiterID]) {
        isClosed = true
        defer { idle.removeAll(); waiters.removeAll(); idleSince.removeAll() }
        return (idle, waiters)
    }

    private mutating func place(_ connection: ConnectionID, now: Instant) -> ReturnAction {
        if isClosed {
            born[connection] = nil
            return .close(connection)
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            leased.insert(connection)
            return .handOver(connection, waiter)
        }
        idle.append(connection)
        idleSince[connection] = now
        return .park
    }

    private mutating func newConnectionID() -> ConnectionID {
        opening += 1
        nextConnectionID += 1
        return nextConnectionID
    }
}
