import Foundation
import WeftStore

/// Queued runs: stored `queued` when their capabilities were busy, started by the first
/// process that finds every capability free. No process owns a queued run, so one queued by a
/// process that dies is started by another (or by the next process to start).
///
/// Who looks, and when. A run ending in a process makes that process look at once (its
/// capabilities just came free). A process's queue watcher looks every `queuePollInterval`
/// while queued runs wait (for a holder in another process, or one that died); `weft serve`
/// keeps its watcher for good and then looks every `idleQueuePollInterval` while none waits,
/// otherwise the watcher ends once nothing is queued. A look leases one pooled connection for
/// one indexed query (and, only when runs wait, one look at `pg_locks`) and gives it back: a
/// watcher holds no connection between looks. It ends when the coordinator shuts down, when
/// its pool is closed, or when the coordinator is dropped (it does not keep it alive).
extension RunCoordinator {
    static let queuePollInterval: Duration = .milliseconds(500)
    static let idleQueuePollInterval: Duration = .seconds(5)

    /// What one look at the queue did.
    struct QueueLook: Sendable {
        /// Queued runs started by this look.
        var started: [UUID] = []
        /// Queued runs still waiting after it (or 1 when the look failed, to look again soon).
        var waiting = 0
        /// The pool is closed: nothing more to look for.
        var poolClosed = false
    }

    /// Whether a queue watcher runs in this process now.
    var isWatchingQueue: Bool { state.withLock { $0.watcher != nil } }

    /// How many looks at the queue this process has made.
    var queueLooks: Int { state.withLock { $0.queueLooks } }

    /// Keeps this process's queue watcher running for good (`weft serve` calls it at start-up).
    public func watchQueue() { watch(forever: true) }

    /// Makes the watcher look now, starting one if none runs; without `forever` a watcher
    /// started here ends once a look finds nothing queued.
    func watch(forever: Bool) {
        let doorbell = queueDoorbell
        state.withLock { current in
            guard !current.stopping else { return }
            if forever { current.watchForever = true }
            current.lookAgain = true
            guard current.watcher == nil else { return }
            current.watcher = Task { [weak self] in
                var pause: Duration = .zero
                while !Task.isCancelled {
                    if pause > .zero { _ = await doorbell.wait(upTo: pause) }
                    // The coordinator is held only while looking: a dropped app ends its watcher.
                    guard let next = await self?.watcherLook() else { return }
                    pause = next
                }
            }
        }
        doorbell.ring()
    }

    /// One look by the watcher, and how long to wait before the next; nil: the watcher ends.
    private func watcherLook() async -> Duration? {
        guard !isStopping, !pool.isClosed else {
            state.withLock { $0.watcher = nil }
            return nil
        }
        state.withLock { $0.lookAgain = false }
        let look = await startQueued()
        return state.withLock { current -> Duration? in
            if current.stopping || look.poolClosed {
                current.watcher = nil
                return nil
            }
            if look.waiting > 0 { return Self.queuePollInterval }
            if current.watchForever { return Self.idleQueuePollInterval }
            // A run was queued (or one ended) during the look: look once more.
            if current.lookAgain { return .zero }
            current.watcher = nil
            return nil
        }
    }

    /// Starts, oldest first, every queued run whose capabilities are all free; a run that must
    /// still wait keeps its capabilities from younger runs, so none overtakes an older one.
    @discardableResult
    func startQueued() async -> QueueLook {
        state.withLock { $0.queueLooks += 1 }
        var look = QueueLook()
        do {
            let (queued, locked) = try await pool.withConnection { connection -> ([RunRecords.Run], Set<String>) in
                let queued = try RunRecords.queued(on: connection)
                guard !queued.isEmpty else { return ([], []) }
                return (queued, try RunRecords.lockedCapabilities(on: connection, Array(Set(queued.flatMap(\.capabilities)))))
            }
            // Capabilities held by a run, taken by a run started here, or kept by an older queued run.
            var taken = locked
            for run in queued {
                guard !isStopping else { break }
                guard taken.isDisjoint(with: run.capabilities) else {
                    taken.formUnion(run.capabilities)
                    look.waiting += 1
                    continue
                }
                taken.formUnion(run.capabilities)
                do {
                    let locks = try await RunLockSession.acquire(connectionString: pool.configuration.connectionString, runID: run.id,
                                                                 capabilities: run.capabilities)
                    let owner = Self.owner, id = run.id
                    _ = try await launch(locks: locks) { try RunRecords.markStarted(on: $0, id: id, owner: owner) }
                    look.started.append(run.id)
                } catch is RunLockSession.Busy {
                    // Taken meanwhile (by another process, or a write still finishing): later.
                    look.waiting += 1
                }
            }
        } catch let error as PostgresError where error.kind == .poolClosed {
            look.poolClosed = true
        } catch {
            logger.warning("could not start queued runs", metadata: ["error": "\(error)"])
            look.waiting = max(look.waiting, 1)
        }
        return look
    }
}
