import NIOCore

/// Runs a task's jobs on one NIO event loop: the loop of the connection the task serves.
///
/// A connection's task is given its channel's event loop as its executor preference, so the
/// request a loop has just parsed is answered on that same thread (no wake-up of a cooperative
/// thread), and a database result resumes the task there too (one hop from the pool's thread
/// to the loop, instead of to a cooperative thread and then on to the loop to write). The loop
/// runs the jobs between its I/O, as it runs any task submitted to it.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        eventLoop.execute { job.runSynchronously(on: executor) }
    }
}
