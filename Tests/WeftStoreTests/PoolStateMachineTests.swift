import Testing
@testable import WeftStore

@Suite("Pool state machine (no IO)")
struct PoolStateMachineTests {
    @Test func opensUpToTheLimitThenQueues() {
        var machine = PoolStateMachine(maxConnections: 2)
        let r1 = machine.lease(1)
        #expect(r1 == .waitAndOpen(1))
        let r2 = machine.lease(2)
        #expect(r2 == .waitAndOpen(2))
        let r3 = machine.lease(3)
        #expect(r3 == .wait)
        let r4 = machine.opened(1)
        #expect(r4 == .handOver(1, 1))
        let r5 = machine.opened(2)
        #expect(r5 == .handOver(2, 2))
        // Waiter 3 gets the first connection given back.
        let r6 = machine.release(2, broken: false)
        #expect(r6 == .handOver(2, 3))
        let r7 = machine.release(2, broken: false)
        #expect(r7 == .park)
        let r8 = machine.lease(4)
        #expect(r8 == .use(2))
        #expect(machine.total == 2)
    }

    @Test func brokenConnectionIsReplacedForWaiters() {
        var machine = PoolStateMachine(maxConnections: 1)
        _ = machine.lease(1)
        _ = machine.opened(1)
        let r9 = machine.lease(2)
        #expect(r9 == .wait)
        let r10 = machine.release(1, broken: true)
        #expect(r10 == .closeAndOpen(closing: 1, opening: 2))
        let r11 = machine.opened(2)
        #expect(r11 == .handOver(2, 2))
        let r12 = machine.release(2, broken: true)
        #expect(r12 == .close(2))
        #expect(machine.total == 0)
        let r13 = machine.lease(3)
        #expect(r13 == .waitAndOpen(3))
    }

    @Test func failedOpenFailsTheOldestWaiterFast() {
        var machine = PoolStateMachine(maxConnections: 3)
        let r14 = machine.lease(7)
        #expect(r14 == .waitAndOpen(1))
        let r15 = machine.openFailed()
        #expect(r15 == .fail([7]))
        #expect(machine.total == 0)
        let r16 = machine.openFailed()
        #expect(r16 == .none)
    }

    @Test func failedOpenFailsEveryWaiterNothingElseCanServe() {
        // Two connections at most, five callers: two opens under way, three waiting behind them.
        var machine = PoolStateMachine(maxConnections: 2)
        #expect(machine.lease(1) == .waitAndOpen(1))
        #expect(machine.lease(2) == .waitAndOpen(2))
        for waiter in 3...5 { #expect(machine.lease(waiter) == .wait) }
        // One open fails: the other may still serve one waiter; the other four fail now.
        #expect(machine.openFailed() == .fail([1, 2, 3, 4]))
        #expect(machine.waiters == [5])
        // The second fails too: nothing is left to serve the last one.
        #expect(machine.openFailed() == .fail([5]))
        #expect(machine.waiters.isEmpty)
        #expect(machine.total == 0)
    }

    @Test func failedOpenKeepsTheWaitersLeasedConnectionsCanServe() {
        var machine = PoolStateMachine(maxConnections: 2)
        _ = machine.lease(1)
        #expect(machine.opened(1) == .handOver(1, 1))
        #expect(machine.lease(2) == .waitAndOpen(2))
        #expect(machine.lease(3) == .wait)
        #expect(machine.lease(4) == .wait)
        // Connection 1 is leased and will come back for one waiter: the oldest two fail.
        #expect(machine.openFailed() == .fail([2, 3]))
        #expect(machine.release(1, broken: false) == .handOver(1, 4))
    }

    @Test func cancelledWaiterIsSkipped() {
        var machine = PoolStateMachine(maxConnections: 1)
        _ = machine.lease(1)
        _ = machine.opened(1)
        _ = machine.lease(2)
        _ = machine.lease(3)
        let r17 = machine.cancel(2)
        #expect(r17)
        let r18 = machine.cancel(2)
        #expect(!r18)
        let r19 = machine.release(1, broken: false)
        #expect(r19 == .handOver(1, 3))
    }

    @Test func closeFailsWaitersAndClosesIdleAndReturned() {
        var machine = PoolStateMachine(maxConnections: 2)
        _ = machine.lease(1); _ = machine.opened(1)
        _ = machine.lease(2); _ = machine.opened(2)
        _ = machine.lease(3)
        let r20 = machine.release(2, broken: false)
        #expect(r20 == .handOver(2, 3))
        _ = machine.lease(4)
        let (connections, waiters) = machine.close()
        #expect(connections.isEmpty)
        #expect(waiters == [4])
        let r21 = machine.release(1, broken: false)
        #expect(r21 == .close(1))
        let r22 = machine.lease(5)
        #expect(r22 == .failClosed)
    }

    @Test func idleConnectionsExpireAfterMaxIdle() {
        let t0 = ContinuousClock.now
        var machine = PoolStateMachine(maxConnections: 3, maxIdle: .seconds(60))
        for waiter in 1...2 { _ = machine.lease(waiter) }
        #expect(machine.opened(1, now: t0) == .handOver(1, 1))
        #expect(machine.opened(2, now: t0) == .handOver(2, 2))
        #expect(machine.release(1, broken: false, now: t0) == .park)
        #expect(machine.release(2, broken: false, now: t0 + .seconds(50)) == .park)
        // At 61 s connection 1 has been idle too long; 2 only 11 s.
        #expect(machine.expire(now: t0 + .seconds(30)) == [])
        #expect(machine.expire(now: t0 + .seconds(61)) == [1])
        #expect(machine.idle == [2] && machine.total == 1)
        // Used again, 2 starts a new idle spell when returned.
        #expect(machine.lease(3) == .use(2))
        #expect(machine.expire(now: t0 + .seconds(200)) == [])  // leased: never expired
        #expect(machine.release(2, broken: false, now: t0 + .seconds(200)) == .park)
        #expect(machine.expire(now: t0 + .seconds(250)) == [])
        #expect(machine.expire(now: t0 + .seconds(261)) == [2])
        #expect(machine.total == 0)
        // Afterwards a lease opens a fresh one.
        #expect(machine.lease(4) == .waitAndOpen(3))
    }

    @Test func oldConnectionsAreClosedOnReturnAndWhenIdle() {
        let t0 = ContinuousClock.now
        var machine = PoolStateMachine(maxConnections: 1, maxAge: .seconds(600))
        _ = machine.lease(1)
        #expect(machine.opened(1, now: t0) == .handOver(1, 1))
        #expect(machine.release(1, broken: false, now: t0 + .seconds(599)) == .park)
        #expect(machine.lease(2) == .use(1))
        // Given back past its age: closed, not parked, and with a waiter a replacement opens.
        #expect(machine.lease(3) == .wait)
        #expect(machine.release(1, broken: false, now: t0 + .seconds(601)) == .closeAndOpen(closing: 1, opening: 2))
        #expect(machine.opened(2, now: t0 + .seconds(602)) == .handOver(2, 3))
        #expect(machine.release(2, broken: false, now: t0 + .seconds(700)) == .park)
        // Idle past its age: expired. Within it: kept.
        #expect(machine.expire(now: t0 + .seconds(1_000)) == [])
        #expect(machine.expire(now: t0 + .seconds(1_203)) == [2])
        #expect(machine.total == 0)
        // Without waiters an old connection given back is just closed.
        _ = machine.lease(4)
        #expect(machine.opened(3, now: t0 + .seconds(1_300)) == .handOver(3, 4))
        #expect(machine.release(3, broken: false, now: t0 + .seconds(2_000)) == .close(3))
        #expect(machine.total == 0)
    }

    @Test func withoutLimitsConnectionsLiveOn() {
        let t0 = ContinuousClock.now
        var machine = PoolStateMachine(maxConnections: 1)
        _ = machine.lease(1)
        _ = machine.opened(1, now: t0)
        #expect(machine.release(1, broken: false, now: t0 + .seconds(100_000)) == .park)
        #expect(machine.expire(now: t0 + .seconds(200_000)) == [])
    }
}
