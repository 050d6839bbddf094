import Foundation
import Logging
import WeftCore
import WeftStore

extension RunJob {
    /// Verifies, then writes (or describes) one capability's plan. On a conflict (the data
    /// changed under the plan) the capability is read and solved once more, with half the time
    /// limit, and written again; a second conflict skips it.
    func conclude(_ work: Work) async -> Work {
        var work = work
        let clock = ContinuousClock()
        let capability = work.result.capability
        for attempt in 1...2 {
            guard let loaded = work.loaded, let solved = work.solved else { return work }
            // The verifier guards every write: a plan with any violation is never written.
            let check = Scheduling.verify(loaded.problem, plan: solved.plan, start: loaded.problem.allocations)
            guard check.isValid else {
                let start = Scheduling.verify(loaded.problem, plan: loaded.problem.allocations)
                let metadata: Logger.Metadata = [
                    "run": "\(run.id)", "capability": "\(capability)", "violations": "\(check.violations.count)",
                    "first": "\(check.violations[0])", "start_violations": "\(start.violations.count)",
                ]
                if start.isValid {
                    // The search broke a constraint the data allowed keeping: a solver bug.
                    work.result.outcome = "failed"
                    work.result.note = "the plan found breaks \(check.violations.count) hard constraint(s) (\(check.violations[0])); nothing was written"
                    logger.error("run produced an invalid plan", metadata: metadata)
                } else {
                    // The allocations as they stand already break hard constraints (typically
                    // pinned work at a factory whose profile changed since: deactivated, another
                    // region, longer lead time), and pinned work may not move. Nothing valid can
                    // be written; that is the data's state, which the note explains, not a
                    // failure of the run.
                    work.result.outcome = "skipped"
                    work.result.note = "the current allocations already break \(start.violations.count) hard constraint(s) (first: \(start.violations[0])) and the plan found could not repair them all (first left: \(check.violations[0])); nothing was written. Pinned work at a factory whose profile changed is the usual cause: release or cancel it, or restore the profile."
                    logger.warning("run skipped a capability whose allocations break hard constraints", metadata: metadata)
                }
                return work
            }
            if run.dryRun {
                work.result.outcome = "dry_run"
                work.diff = diffEntries(loaded, solved.changes)
                return work
            }
            guard !solved.changes.isEmpty else {
                work.result.outcome = "unchanged"
                return work
            }
            // A run whose lock session died (the database restarted, say) may already have been
            // marked failed, and its capabilities re-planned by another run: it must not write.
            // This early check saves a transaction; `claimWrite` inside it is the proof.
            guard await locks.isHeld() else {
                return lostLocks(work, RunRecords.LocksLost.sessionEnded)
            }
            await hooks.beforeWrite?(run.id, capability, attempt)
            do {
                let runID = run.id, holder = locks.backendPID, held = locks.capabilities
                let summary = try await pool.transaction { connection in
                    try RunRecords.claimWrite(on: connection, run: runID, lockHolder: holder, capabilities: held)
                    return try ProblemRecords.write(on: connection, loaded: loaded, changes: solved.changes, runID: runID)
                }
                work.result.outcome = "written"
                work.result.deleted = summary.deleted
                work.result.updated = summary.updated
                work.result.inserted = summary.inserted
                return work
            } catch let lost as RunRecords.LocksLost {
                return lostLocks(work, lost)
            } catch let conflict as ProblemRecords.WriteConflict {
                logger.info("run met a conflict", metadata: ["run": "\(run.id)", "capability": "\(capability)", "conflict": "\(conflict)"])
                guard attempt == 1, !stop.isStopped else {
                    work.result.outcome = "skipped"
                    work.result.note = "\(conflict) (twice); nothing was written for this capability, the next run will pick it up"
                    return work
                }
                work.result.note = "the first plan was not written because \(conflict); the capability was read and solved again"
                let fresh = await load(Work(result: work.result))
                guard let problem = fresh.loaded?.problem else { return fresh }
                work = fresh
                let solveStart = clock.now
                let again = await solve([problem], options: solverOptions(timeLimitMs: max(1, run.timeLimitMs / 2)), progress: { _ in })
                work.reSolveTime += solveStart.duration(to: clock.now)
                guard let again, let result = again.first else {
                    work.result.outcome = "failed"
                    work.result.note = "the server shut down before the capability was solved again; nothing was written"
                    return work
                }
                record(result, into: &work)
            } catch {
                work.result.outcome = "failed"
                work.result.note = "could not write the plan: \(error); nothing was written for this capability"
                logger.error("run could not write a plan", metadata: ["run": "\(run.id)", "capability": "\(capability)", "error": "\(error)"])
                return work
            }
        }
        return work
    }

    /// A capability not written because the run no longer owns it.
    func lostLocks(_ work: Work, _ lost: RunRecords.LocksLost) -> Work {
        var work = work
        work.result.outcome = "failed"
        work.result.note = "\(lost); nothing was written for this capability"
        work.lostLocks = true
        logger.error("run lost its locks before writing", metadata: ["run": "\(run.id)", "capability": "\(work.result.capability)",
                                                                    "reason": "\(lost)"])
        return work
    }

    /// The changes as (order, slot) rows with the units of the whole allocation row before and
    /// after (pinned units of the pair included).
    func diffEntries(_ loaded: ProblemRecords.Loaded, _ changes: [Scheduling.PlanChange]) -> [RunDiffEntryDTO] {
        let problem = loaded.problem
        var pinned: [Int: Int] = [:] // order * slots + slot
        let slotCount = problem.slots.count
        for a in problem.allocations where a.pinned { pinned[a.order * slotCount + a.slot, default: 0] += a.units }
        return changes.map { change in
            let slot = problem.slots[change.slot]
            let held = pinned[change.order * slotCount + change.slot] ?? 0
            return RunDiffEntryDTO(orderId: loaded.orderIDs[change.order].lowercasedString, capability: problem.capability,
                                   slotId: String(loaded.slotIDs[change.slot]),
                                   factoryId: loaded.factoryIDs[slot.factory].lowercasedString, date: slot.day,
                                   unitsBefore: held + change.before, unitsAfter: held + change.after)
        }
    }

    /// Records the outcome (scores summed over capabilities), then lets go of the locks.
    func finish(_ works: [Work], status: String, error: String?, timings: RunTimingsDTO) async {
        let scored = works.filter { $0.result.scoreBefore != nil }
        var before: Scheduling.Score?, after: Scheduling.Score?, bound: Scheduling.Bound?
        var moved: Int?
        if !scored.isEmpty || works.isEmpty {
            var b = Scheduling.Score(unserved: 0, cost: 0), a = b
            var sumBound: Scheduling.Bound? = Scheduling.Bound(unserved: 0, cost: 0)
            var count = 0
            for work in scored {
                let result = work.result
                let applied = ["written", "unchanged", "dry_run"].contains(result.outcome)
                let start = result.scoreBefore!, end = applied ? result.scoreAfter ?? start : start
                b = Scheduling.Score(hard: b.hard + start.hard, unserved: b.unserved + start.unserved, cost: b.cost + start.cost)
                a = Scheduling.Score(hard: a.hard + end.hard, unserved: a.unserved + end.unserved, cost: a.cost + end.cost)
                if applied { count += result.moved }
                if let current = sumBound, let own = result.bound {
                    sumBound = Scheduling.Bound(unserved: current.unserved + own.unserved, cost: current.cost + own.cost)
                } else {
                    sumBound = nil
                }
            }
            (before, after, bound, moved) = (b, a, sumBound, count)
        }
        let results = works.map(\.result)
        let diff = run.dryRun ? works.flatMap(\.diff) : nil
        do {
            let outcome = RunRecords.Outcome(
                status: status, scoreBefore: try RunDTO.encode(before), scoreAfter: try RunDTO.encode(after),
                bound: try RunDTO.encode(bound), moved: moved, diff: try RunDTO.encode(diff),
                details: try RunDTO.encode(RunDetailsDTO(capabilityResults: results, timings: timings)), error: error)
            let id = run.id
            // A few tries: if the database is briefly away, the outcome is still worth keeping.
            var recorded = false
            for attempt in 1...3 {
                do {
                    recorded = try await pool.withConnection { connection in
                        // A run that lost its locks may have been marked failed as abandoned
                        // meanwhile: its own account of the failure is the better one.
                        try RunRecords.finish(on: connection, id: id, outcome)
                            || (status == "failed" && RunRecords.replaceAbandoned(on: connection, id: id, outcome))
                    }
                    break
                } catch where attempt < 3 {
                    try? await Task.sleep(for: .milliseconds(200 * attempt))
                }
            }
            if recorded {
                logger.info("run finished", metadata: ["run": "\(id)", "status": "\(status)", "moved": "\(moved ?? 0)",
                                                       "total_ms": "\(timings.totalMs)"])
            } else {
                // Finished by another process already (marked failed once the locks were gone).
                logger.warning("run finished, but its row had already been finished by another process",
                               metadata: ["run": "\(id)", "status": "\(status)", "error": "\(error ?? "")"])
            }
        } catch {
            // The row stays `running`; once the locks are gone it reads as abandoned.
            logger.error("could not record a run's outcome", metadata: ["run": "\(run.id)", "error": "\(error)"])
        }
        await locks.release()
    }
}
