import Foundation
import Testing
@testable import WeftCore
import WeftMIP

/// Stand-ins for a worker that fails: shell scripts in a fresh folder, run by `/bin/sh` (the
/// script is its argument). Each first records that it ran (so a test cannot pass because the
/// exact step never started). The executable is never a file this process has just written:
/// executing one fails with ETXTBSY while any child spawned meanwhile by another test still
/// holds an inherited descriptor that wrote it (seen in CI).
struct FakeWorkers {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("weft-mip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, body) in [
            // Dies of a segmentation fault, as CBC once did inside libCgl.
            ("crash", "cat > /dev/null\nkill -SEGV $$"),
            // Dies before reading its input.
            ("crash-early", "kill -SEGV $$"),
            // Never answers (it must be killed at the time limit).
            ("hang", "exec sleep 600"),
            ("garbage", "cat > /dev/null\necho 'not an answer'"),
            ("fail", "cat > /dev/null\nexit 7"),
        ] {
            let url = folder.appendingPathComponent(name)
            try "#!/bin/sh\necho ran >> \"\(folder.path)/\(name).ran\"\n\(body)\n".write(to: url, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
    }

    func solver(_ name: String) -> ProcessMIPSolver {
        ProcessMIPSolver(executable: "/bin/sh", arguments: [folder.appendingPathComponent(name).path], grace: .milliseconds(200))
    }

    func ran(_ name: String) -> Bool { FileManager.default.fileExists(atPath: folder.appendingPathComponent("\(name).ran").path) }

    func remove() { try? FileManager.default.removeItem(at: folder) }
}

@Suite("The MIP worker process: failures cost only the exact step")
struct WorkerFailureTests {
    /// A small problem's stage-2 MIP.
    func smallMIP(seconds: Double) -> Scheduling.MIPProblem {
        let p = Scheduling.generateInstance(Scheduling.InstanceSpec(shape: .mixed, orders: 12, factories: 4, days: 4, seed: 5))
        let index = ProblemIndex(p)
        let model = ExactModel(index, columnLimit: 100_000)!
        return model.mipProblem(objective: model.columns.map(\.cost), extraRow: nil, start: nil, seconds: seconds, nodes: nil)
    }

    @Test("each way a worker can fail is reported as nothing, with the reason")
    func failures() throws {
        let fakes = try FakeWorkers()
        defer { fakes.remove() }
        let problem = smallMIP(seconds: 0.3)
        let expected: [(String, ProcessMIPSolver.Failure)] = [
            ("crash", .signal(SIGSEGV)), ("crash-early", .signal(SIGSEGV)), ("hang", .killed), ("garbage", .garbled), ("fail", .exit(7)),
        ]
        for (name, failure) in expected {
            let (result, reported) = fakes.solver(name).solveReporting(problem)
            #expect(fakes.ran(name), "\(name) did not run")
            #expect(reported == failure, "\(name)")
            #expect(result == .nothing, "\(name)")
            #expect(fakes.solver(name).solve(problem).failure != nil, "\(name)")
        }
        let missing = ProcessMIPSolver(executable: fakes.folder.appendingPathComponent("absent").path).solveReporting(problem)
        #expect(missing.result == .nothing)
        if case .spawn = missing.failure {} else { Issue.record("absent worker: \(String(describing: missing.failure))") }
    }

    @Test("the real worker answers the same problem", .timeLimit(.minutes(1)))
    func realWorkerAnswers() throws {
        let (result, failure) = try realWorker().solveReporting(smallMIP(seconds: 20))
        #expect(failure == nil)
        #expect(result.values?.count == smallMIP(seconds: 0).columnCount)
        #expect(result.bestBound != nil)
    }

    @Test("a crashed or hung worker leaves the heuristic plan, valid, with optimal false and the failure reported",
          arguments: ["crash", "hang"], [1, 2])
    func solveSurvives(name: String, workers: Int) throws {
        let fakes = try FakeWorkers()
        defer { fakes.remove() }
        let p = Scheduling.generateInstance(Scheduling.InstanceSpec(shape: .mixed, orders: 14, factories: 5, days: 5, seed: 11))
        var options = Scheduling.SolverOptions(timeLimit: .seconds(1), seed: 3, maxIterations: 30, workers: workers)
        options.exactNodeLimit = 1_000
        options.mipSolver = fakes.solver(name)
        let result = Scheduling.solve(p, options: options)
        #expect(fakes.ran(name))
        #expect(result.exactFailure != nil)
        #expect(!result.fellBack)
        #expect(result.violations.isEmpty && result.scoreAfter.hard == 0)
        #expect(result.boundMethod != .mip)
        #expect(result.scoreAfter < result.scoreBefore)
    }
}
