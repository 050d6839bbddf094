import Foundation

/// Runs the jobs of the tasks that prefer it on one thread of its own, except while held: then
/// they wait until `open()`. Stands for a caller whose task cannot be scheduled (every
/// cooperative thread busy, an event loop stuck) without blocking any thread of the test.
final class GatedExecutor: TaskExecutor, @unchecked Sendable {
    // All mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var isHeld = false
    private var isStopped = false

    init() {
        let thread = Thread { [self] in work() }
        thread.name = "gated-executor"
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Jobs enqueued from now on wait (one already running finishes).
    func hold() {
        condition.lock()
        isHeld = true
        condition.unlock()
    }

    /// Runs the jobs that waited, and later ones as they come.
    func open() {
        condition.lock()
        isHeld = false
        condition.broadcast()
        condition.unlock()
    }

    /// How many jobs wait while held.
    var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count
    }

    /// Runs what is queued, then lets the thread end.
    func stop() {
        condition.lock()
        isStopped = true
        isHeld = false
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while (jobs.isEmpty || isHeld) && !isStopped { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
