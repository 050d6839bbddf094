import Synchronization

/// Wakes one waiting task early: `wait(upTo:)` returns true as soon as `ring()` is called, or
/// false once the time has passed (or the waiting task is cancelled). A ring while nobody
/// waits is kept for the next wait (one ring, not a count). One waiter at a time.
///
/// The queue watcher sleeps on it between looks. (An `AsyncStream` awaited in a child task
/// that is cancelled when the time passes does not do this: cancelling its consumer ends the
/// stream for good, and every later wait returned at once.)
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: (id: Int, continuation: CheckedContinuation<Bool, Never>)?
        /// A wait that ended (time, cancellation) before it had registered its continuation.
        var ended: Int?
        var nextID = 0
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: true)
    }

    /// True when rung (or a ring was waiting), false when `timeout` passed or the task was cancelled.
    func wait(upTo timeout: Duration) async -> Bool {
        let id = state.withLock { state -> Int in
            state.nextID += 1
            return state.nextID
        }
        let timer = Task { [self] in
            guard (try? await Task.sleep(for: timeout)) != nil else { return }  // cancelled: the wait is over
            end(id)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state -> Bool? in
                    if state.rung {
                        state.rung = false
                        return true
                    }
                    if state.ended == id { return false }
                    state.waiter = (id, continuation)
                    return nil
                }
                if let now { continuation.resume(returning: now) }
            }
        } onCancel: {
            end(id)
        }
    }

    /// Ends wait `id` without a ring (its time passed, or its task was cancelled).
    private func end(_ id: Int) {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            guard let waiter = state.waiter, waiter.id == id else {
                state.ended = id
                return nil
            }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: false)
    }
}
