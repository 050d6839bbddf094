import Foundation

/// A fixed set of threads for blocking work (libpq calls).
///
/// Not a Dispatch queue: libdispatch's worker pool on Linux grows to about one thread per core
/// and only slowly adds threads when work blocks, so on a 2-core machine two slow queries would
/// hold up every other database call in the process. One thread per pooled connection (plus
/// one for opening connections and housekeeping) means a leased connection always has a thread.
final class BlockingExecutor: @unchecked Sendable {
    // All mutable state is guarded by `condition`.
    private let condition = NSCondition()
    /// Queued jobs from `head` on; a job's slot is emptied when a thread takes it, so a job
    /// that ran is not kept alive (with what it captured: a connection to close, a pool).
    private var jobs: [(@Sendable () -> Void)?] = []
    private var head = 0
    private var stopped = false

    init(threads: Int, name: String) {
        for index in 0..<max(1, threads) {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Queues `job` to run on one of the threads.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads finish queued work and exit.
    func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        while true {
            condition.lock()
            while head == jobs.count && !stopped { condition.wait() }
            if head == jobs.count && stopped {
                condition.unlock()
                return
            }
            let job = jobs[head]!
            jobs[head] = nil
            head += 1
            if head > 1024, head * 2 > jobs.count {
                jobs.removeFirst(head)
                head = 0
            }
            condition.unlock()
            job()
            // `job` (and whatever it captured) is released here, before the thread waits again.
        }
    }
}
