import Foundation
import Logging
import Synchronization
import WeftCore
import WeftStore

/// One run, from its locks to its outcome: read every capability's problem, solve them all
/// (in parallel, on Dispatch threads inside `solveAll`), write each plan in its own
/// transaction as soon as it is solved (or only report it for a dry run), then record the
/// outcome and let go of the locks. Runs in a task of its own in the process that accepted the POST.
final class RunJob: Sendable {
    let run: RunRecords.Run
    let locks: RunLockSession
    let pool: PostgresPool
    let freezeDays: Int
    let mipSolver: (any MIPSolver)?
    let hooks: RunHooks
    let logger: Logger
    let stop = StopSignal()
    private let meter = Mutex(0.0)

    /// How often progress reaches the database at most.
    static let progressInterval: Duration = .milliseconds(200)

    init(run: RunRecords.Run, locks: RunLockSession, pool: PostgresPool, freezeDays: Int, mipSolver: (any MIPSolver)? = nil,
         hooks: RunHooks, logger: Logger) {
        self.run = run
        self.locks = locks
        self.pool = pool
        self.freezeDays = freezeDays
        self.mipSolver = mipSolver
        self.hooks = hooks
        self.logger = logger
    }

    /// One capability's state through the run.
    struct Work: Sendable {
        var result: CapabilityRunDTO
        var loaded: ProblemRecords.Loaded?
        var solved: Scheduling.SolveResult?
        var diff: [RunDiffEntryDTO] = []
        /// Time spent solving again after a conflict (counted as solving, not writing).
        var reSolveTime: Duration = .zero
        /// Not written because the run no longer held its locks.
        var lostLocks = false
    }

    /// Runs the job with the long statement time limit (`StatementBudget.long`).
    func execute() async {
        await StatementBudget.$current.withValue(.long) { await executeRun() }
    }

    private func executeRun() async {
        let clock = ContinuousClock()
        let started = clock.now
        let reporter = Task { await reportProgress() }
        defer { reporter.cancel() }
        var works = run.capabilities.map { Work(result: CapabilityRunDTO(capability: $0)) }

        // 1. Read. Capabilities are independent, so they are read concurrently (a few at a
        // time: each read holds a pooled connection).
        let width = max(2, ProcessInfo.processInfo.activeProcessorCount)
        await Self.concurrently(Array(works.indices), width: width, { [works] index in await self.load(works[index]) }) { index, work in
            works[index] = work
        }
        let loadEnd = clock.now
        setProgress(0.1)

        // 2. Solve, and 3. write (or, for a dry run, describe) each capability's plan as soon
        // as it is solved, while the others are still being solved: capabilities share no
        // rows, and most of a write's time is PostgreSQL's, so the two overlap well.
        let solvable = works.indices.filter { works[$0].loaded != nil }
        let options = solverOptions(timeLimitMs: run.timeLimitMs)
        let (results, delivery) = AsyncStream.makeStream(of: (position: Int, result: Scheduling.SolveResult)?.self)
        if solvable.isEmpty {
            delivery.finish()
        } else {
            Scheduling.solveAll(solvable.map { works[$0].loaded!.problem }, options: options, progress: { [self] fraction in
                setProgress(0.1 + 0.8 * fraction)
            }, solved: { position, result in
                delivery.yield((position, result))
            }, completion: { _ in delivery.finish() })
            // nil: the server is shutting down; the solver threads finish on their own and
            // their results are dropped.
            stop.onStop { delivery.yield(nil); delivery.finish() }
        }
        var solveEnd = loadEnd, stopped = false
        await withTaskGroup(of: (Int, Work).self) { group in
            for await delivered in results {
                guard let delivered else { stopped = true; break }
                let index = solvable[delivered.position]
                record(delivered.result, into: &works[index])
                solveEnd = clock.now
                group.addTask { [work = works[index]] in
                    let before = clock.now
                    var done = await self.conclude(work)
                    done.result.writeMs += milliseconds(before.duration(to: clock.now) - done.reSolveTime)
                    return (index, done)
                }
            }
            for await (index, work) in group { works[index] = work }
        }
        if stopped {
            return await finish(works, status: "failed", error: "the server shut down before the run finished; " + Self.writtenSoFar(works),
                                timings: timings(started, loadEnd, solveEnd, clock.now))
        }
        setProgress(1)
        let end = clock.now
        // Re-solves after conflicts ran in parallel: the longest one counts as solving time.
        let extraSolve = works.map(\.reSolveTime).max() ?? .zero
        var timing = timings(started, loadEnd, solveEnd, end)
        timing.solveMs += milliseconds(extraSolve)
        timing.writeMs = max(0, timing.writeMs - milliseconds(extraSolve))
        let failed = works.filter { $0.result.outcome == "failed" }
        var error = failed.isEmpty ? nil : failed.map { "\($0.result.capability): \($0.result.note ?? "failed")" }.joined(separator: "; ")
        if works.contains(where: \.lostLocks) {
            error = "lost its locks (the database restarted or its lock session ended); " + Self.writtenSoFar(works)
        }
        await finish(works, status: failed.isEmpty ? "succeeded" : "failed", error: error, timings: timing)
    }

    /// What a run that ended early had written: "nothing written", or which capabilities were.
    static func writtenSoFar(_ works: [Work]) -> String {
        let written = works.filter { $0.result.outcome == "written" }.map(\.result.capability)
        return written.isEmpty ? "nothing written" : "only \(written.joined(separator: ", ")) written before that"
    }

    /// Runs `body` for every index, at most `width` at a time, handing each result to `collect`
    /// (on the caller's task) as it arrives.
    static func concurrently(_ indices: [Int], width: Int, _ body: @escaping @Sendable (Int) async -> Work,
                             collect: (Int, Work) -> Void) async {
        await withTaskGroup(of: (Int, Work).self) { group in
            var queue = indices[...]
            for _ in 0..<width {
                guard let index = queue.popFirst() else { break }
                group.addTask { (index, await body(index)) }
            }
            for await (index, work) in group {
                collect(index, work)
                if let next = queue.popFirst() { group.addTask { (next, await body(next)) } }
            }
        }
    }

    func load(_ work: Work) async -> Work {
        var work = work
        let clock = ContinuousClock(), start = clock.now
        do {
            let capability = work.result.capability, asOf = run.asOf, freezeDays = self.freezeDays
            let loaded = try await pool.transaction(.repeatableRead) { connection in
                try ProblemRecords.load(on: connection, capability: capability, asOf: asOf, freezeDays: freezeDays)
            }
            work.loaded = loaded
            work.result.orders = loaded.problem.orders.count
            work.result.factories = loaded.problem.factories.count
            work.result.slots = loaded.problem.slots.count
            work.result.allocations = loaded.problem.allocations.count
        } catch {
            work.result.outcome = "failed"
            work.result.note = "could not read the problem: \(error)"
            logger.error("run could not read a problem", metadata: ["run": "\(run.id)", "capability": "\(work.result.capability)", "error": "\(error)"])
        }
        work.result.loadMs += milliseconds(start.duration(to: clock.now))
        return work
    }

    func record(_ solved: Scheduling.SolveResult, into work: inout Work) {
        work.solved = solved
        work.result.scoreBefore = solved.scoreBefore
        work.result.scoreAfter = solved.scoreAfter
        work.result.bound = solved.bound
        work.result.gap = solved.bound?.costGap(of: solved.scoreAfter)
        work.result.unservedGap = solved.bound?.unservedGap(of: solved.scoreAfter)
        work.result.optimal = solved.optimal
        work.result.boundMethod = solved.boundMethod?.rawValue
        work.result.exactMs = (work.result.exactMs ?? 0) + Int((solved.exactSeconds * 1000).rounded())
        work.result.moved = solved.moved
        work.result.iterations += solved.iterations
        work.result.attempts += 1
        work.result.boundMs += Int((solved.boundSeconds * 1000).rounded())
        work.result.searchMs += Int((solved.searchSeconds * 1000).rounded())
        if let failure = solved.exactFailure {
            // The plan and bound are the search's; the run goes on.
            logger.warning("exact step failed", metadata: ["run": "\(run.id)", "capability": "\(solved.capability)", "error": "\(failure)"])
        }
    }

    func solverOptions(timeLimitMs: Int) -> Scheduling.SolverOptions {
        var options = Scheduling.SolverOptions(timeLimit: .milliseconds(timeLimitMs), seed: UInt64(run.seed),
                                               workers: max(1, ProcessInfo.processInfo.activeProcessorCount))
        options.mipSolver = mipSolver
        return options
    }

    /// Solves on Dispatch threads; nil if the server shuts down first (the solver threads are
    /// then left to finish on their own, and their result is dropped).
    func solve(_ problems: [Scheduling.Problem], options: Scheduling.SolverOptions,
               progress: @escaping @Sendable (Double) -> Void) async -> [Scheduling.SolveResult]? {
        guard !problems.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let once = Mutex<CheckedContinuation<[Scheduling.SolveResult]?, Never>?>(continuation)
            let resume = { @Sendable (value: [Scheduling.SolveResult]?) in
                once.withLock { $0.take() }?.resume(returning: value)
            }
            Scheduling.solveAll(problems, options: options, progress: progress) { resume($0) }
            stop.onStop { resume(nil) }
        }
    }

    func setProgress(_ value: Double) { meter.withLock { $0 = max($0, value) } }

    /// Writes the progress every `progressInterval` while it changes, until cancelled.
    private func reportProgress() async {
        var written = -1.0
        while !Task.isCancelled {
            try? await Task.sleep(for: Self.progressInterval)
            let now = meter.withLock { $0 }
            guard now != written, !Task.isCancelled else { continue }
            written = now
            let id = run.id
            do {
                try await pool.withConnection { try RunRecords.setProgress(on: $0, id: id, progress: now) }
            } catch {
                logger.warning("could not record run progress", metadata: ["run": "\(id)", "error": "\(error)"])
            }
        }
    }

    func timings(_ start: ContinuousClock.Instant, _ loaded: ContinuousClock.Instant, _ solved: ContinuousClock.Instant,
                 _ end: ContinuousClock.Instant) -> RunTimingsDTO {
        RunTimingsDTO(loadMs: milliseconds(start.duration(to: loaded)), solveMs: milliseconds(loaded.duration(to: solved)),
                      writeMs: milliseconds(solved.duration(to: end)), totalMs: milliseconds(start.duration(to: end)))
    }
}

func milliseconds(_ duration: Duration) -> Int {
    let c = duration.components
    return Int(c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000)
}

/// Tells a run that the server is shutting down.
final class StopSignal: Sendable {
    private let state = Mutex<(stopped: Bool, callbacks: [@Sendable () -> Void])>((false, []))

    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Runs `callback` once the signal fires (at once if it already has).
    func onStop(_ callback: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            if state.stopped { return true }
            state.callbacks.append(callback)
            return false
        }
        if now { callback() }
    }

    func fire() {
        let callbacks = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.stopped else { return [] }
            state.stopped = true
            defer { state.callbacks = [] }
            return state.callbacks
        }
        callbacks.forEach { $0() }
    }
}
