import Foundation
import Testing
import WeftTestSupport
@testable import WeftStore

/// A pool's connections end on the server when the pool is closed or dropped: a test suite
/// that makes a hundred pools (or a server that replaces one) must not keep their sessions.
@Suite("Pool lifetime: closed and dropped pools end their sessions")
struct PoolLifetimeTests {
    /// Waits until the database has `count` other sessions; returns the last count seen.
    static func settle(_ url: String, at count: Int) async throws -> Int {
        var seen = -1
        _ = try await TestDatabase.eventually {
            seen = try await TestDatabase.sessions(url)
            return seen == count
        }
        return seen
    }

    /// Opens `n` connections in the pool by holding them all at once.
    static func open(_ n: Int, in pool: PostgresPool) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            let held = Latch(count: n)
            for _ in 0..<n {
                group.addTask {
                    try await pool.withConnection { _ in
                        // Bounded: if another caller's connection fails to open, it never
                        // arrives, and this one must fail rather than wait for ever.
                        guard held.arriveAndWait(atMost: 120) else { throw NotEveryConnectionOpened() }
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func closingAPoolEndsItsSessions() async throws {
        let url = try await offCooperativePool { try TestDatabase.createDatabase() }
        let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 3))
        try await Self.open(3, in: pool)
        #expect(pool.usage.open == 3)
        #expect(try await TestDatabase.sessions(url) == 3)
        pool.close()
        #expect(try await Self.settle(url, at: 0) == 0)
    }

    @Test func aPoolDroppedWithoutClosingEndsItsSessions() async throws {
        let url = try await offCooperativePool { try TestDatabase.createDatabase() }
        weak var dropped: PostgresPool?
        do {
            let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 2))
            dropped = pool
            try await Self.open(2, in: pool)
            #expect(try await TestDatabase.sessions(url) == 2)
        }
        #expect(try await Self.settle(url, at: 0) == 0)
        #expect(dropped == nil)
    }

    @Test func connectionsRetiredForIdlingEndTheirSessions() async throws {
        let url = try await offCooperativePool { try TestDatabase.createDatabase() }
        let pool = PostgresPool(configuration: .init(connectionString: url, maxConnections: 2, maxIdleTime: .milliseconds(50)))
        defer { pool.close() }
        try await Self.open(2, in: pool)  // two sessions, both idle from now on
        // The pool's sweep retires both once idle for longer than the limit; the server sees them go.
        #expect(try await Self.settle(url, at: 0) == 0)
        #expect(pool.usage.open == 0)
        // And the pool opens a fresh one when asked again.
        #expect(try await pool.query("SELECT 3")[0].decode(Int.self, 0) == 3)
    }
}

struct NotEveryConnectionOpened: Error {}

/// `count` parties meet: each blocks (on a pool thread) until all have arrived, or until
/// `seconds` have passed (then false).
private final class Latch: @unchecked Sendable {
    private let condition = NSCondition()
    private var waiting: Int

    init(count: Int) { waiting = count }

    func arriveAndWait(atMost seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        waiting -= 1
        if waiting == 0 { condition.broadcast() }
        while waiting > 0 {
            if !condition.wait(until: deadline) { return waiting <= 0 }
        }
        return true
    }
}
