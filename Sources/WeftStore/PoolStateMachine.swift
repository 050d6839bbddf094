/// The connection pool's decisions, with no IO: which waiter gets which connection, when to
/// open a new one, when to close one. `PostgresPool` performs the actions it returns; tests
/// drive it directly.
struct PoolStateMachine: Sendable {
    typealias ConnectionID = Int
    typealias WaiterID = Int

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
        /// Tell this waiter the database cannot be reached, so it fails fast instead of timing out.
        case fail(WaiterID)
        case none
    }

    let maxConnections: Int
    private(set) var idle: [ConnectionID] = []
    private(set) var leased: Set<ConnectionID> = []
    private(set) var opening = 0
    private(set) var waiters: [WaiterID] = []
    private(set) var isClosed = false
    private var nextConnectionID = 0

    init(maxConnections: Int) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.maxConnections = maxConnections
    }

    var total: Int { idle.count + leased.count + opening }

    mutating func lease(_ waiter: WaiterID) -> LeaseAction {
        if isClosed { return .failClosed }
        if let connection = idle.popLast() {
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
    mutating func opened(_ connection: ConnectionID) -> ReturnAction {
        opening -= 1
        return place(connection)
    }

    mutating func openFailed() -> OpenFailedAction {
        opening -= 1
        guard !waiters.isEmpty else { return .none }
        return .fail(waiters.removeFirst())
    }

    /// A caller is done with a connection; `broken` ones are closed, never reused.
    mutating func release(_ connection: ConnectionID, broken: Bool) -> ReturnAction {
        leased.remove(connection)
        if broken {
            if !isClosed, !waiters.isEmpty, total < maxConnections {
                return .closeAndOpen(closing: connection, opening: newConnectionID())
            }
            return .close(connection)
        }
        return place(connection)
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
        defer { idle.removeAll(); waiters.removeAll() }
        return (idle, waiters)
    }

    private mutating func place(_ connection: ConnectionID) -> ReturnAction {
        if isClosed { return .close(connection) }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            leased.insert(connection)
            return .handOver(connection, waiter)
        }
        idle.append(connection)
        return .park
    }

    private mutating func newConnectionID() -> ConnectionID {
        opening += 1
        nextConnectionID += 1
        return nextConnectionID
    }
}
