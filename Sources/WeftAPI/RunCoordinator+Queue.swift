import Foundation
import WeftStore

/// Queued runs: stored `queued` when their capabilities were busy, started by the first
/// process whose watcher finds every capability free. No process owns a queued run, so one
/// queued by a process that dies is started by another (or by the next process to start).
extension RunCoordinator {
    /// How often the watcher looks for queued runs whose capabilities have become free (runs
    /// ending in this process wake it at once; ends in other processes are seen on the next look).
    static let queuePollInterval: Duration = .milliseconds(500)

    /// Starts this process's queue watcher unless it runs already (`weft serve` calls it at
    /// start-up; starting or queueing a run calls it too).
    public func watchQueue() {
        state.withLock { current in
            guard current.watcher == nil, !current.stopping else { return }
            current.watcher = Task { [weak self] in
                while !Task.isCancelled {
                    guard let self, !self.pool.isClosed else { return }
                    await self.startQueued()
                    await self.nextLook()
                }
            }
        }
    }

    /// Waits for a wake-up or the poll interval, whichever comes first.
    private func nextLook() async {
        let wakeups = queueWakeups
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: Self.queuePollInterval) }
            group.addTask { for await _ in wakeups { return } }
            await group.next()
            group.cancelAll()
        }
    }

    /// Starts, oldest first, every queued run whose capabilities are all free; a run that must
    /// still wait keeps its capabilities from younger runs, so none overtakes an older one.
    /// Returns the runs started.
    @discardableResult
    func startQueued() async -> [UUID] {
        var started: [UUID] = []
        do {
            let queued = try await pool.withConnection { try RunRecords.queued(on: $0) }
            var waiting: Set<String> = []
            for run in queued {
                guard !isStopping else { break }
                let capabilities = run.capabilities
                let locked = try await pool.withConnection { try RunRecords.lockedCapabilities(on: $0, capabilities) }
                guard locked.isEmpty, waiting.isDisjoint(with: capabilities) else {
                    waiting.formUnion(capabilities)
                    continue
                }
                do {
                    let locks = try await RunLockSession.acquire(connectionString: pool.configuration.connectionString, runID: run.id,
                                                                 capabilities: capabilities)
                    let owner = Self.owner, id = run.id
                    _ = try await launch(locks: locks) { try RunRecords.markStarted(on: $0, id: id, owner: owner) }
                    started.append(run.id)
                } catch is RunLockSession.Busy {
                    // Taken meanwhile (by another process, or a write still finishing): later.
                    waiting.formUnion(capabilities)
                }
            }
        } catch let error as PostgresError where error.kind == .poolClosed {
            return started
        } catch {
            logger.warning("could not start queued runs", metadata: ["error": "\(error)"])
        }
        return started
    }
}
