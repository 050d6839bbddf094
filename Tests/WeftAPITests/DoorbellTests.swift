import Testing
@testable import WeftAPI

/// The queue watcher's wake-up: a ring ends a wait at once, a wait that times out leaves the
/// doorbell working for the next one.
@Suite("Doorbell: wake a waiting task early")
struct DoorbellTests {
    @Test func aRingBeforeTheWaitIsKeptForIt() async {
        let bell = Doorbell()
        bell.ring()
        bell.ring()  // one ring, not two
        #expect(await bell.wait(upTo: .seconds(600)))
        #expect(await bell.wait(upTo: .milliseconds(1)) == false)
    }

    @Test func aWaitThatTimedOutLeavesTheBellWorking() async {
        let bell = Doorbell()
        #expect(await bell.wait(upTo: .milliseconds(1)) == false)
        #expect(await bell.wait(upTo: .milliseconds(1)) == false)
        // After timeouts a ring still ends a wait, with true. (An AsyncStream awaited in a
        // cancelled child task was finished by the first timeout; later waits ended unrung.)
        let waiting = Task { await bell.wait(upTo: .seconds(600)) }
        bell.ring()
        #expect(await waiting.value)
    }

    @Test func cancellingTheWaiterEndsItsWait() async {
        let bell = Doorbell()
        let waiting = Task { await bell.wait(upTo: .seconds(600)) }
        waiting.cancel()
        #expect(await waiting.value == false)
        // The bell still works.
        bell.ring()
        #expect(await bell.wait(upTo: .seconds(600)))
    }
}
