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
        #expect(r15 == .fail(7))
        #expect(machine.total == 0)
        let r16 = machine.openFailed()
        #expect(r16 == .none)
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
}
