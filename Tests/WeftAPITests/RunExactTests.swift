import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftMIP
import WeftStore

/// Runs with the exact step (CBC in weft-mip-worker): a proof when it answers, the search's
/// plan when it crashes or hangs — never a failed run.
@Suite("Schedule runs with the exact step in a child process")
struct RunExactTests {
    /// A worker script in a fresh folder that records it ran, then does `body`.
    func script(_ body: String) throws -> (solver: ProcessMIPSolver, ran: () -> Bool, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("weft-run-mip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("worker").path
        let marker = folder.appendingPathComponent("ran").path
        try "#!/bin/sh\necho ran >> \"\(marker)\"\n\(body)\n".write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (ProcessMIPSolver(executable: path, grace: .milliseconds(200)), { FileManager.default.fileExists(atPath: marker) }, folder)
    }

    @Test("a worker that crashes (SIGSEGV) or hangs: the run succeeds with the search's plan, not claimed optimal by the MIP",
          arguments: ["cat > /dev/null; kill -SEGV $$", "exec sleep 600"])
    func failingWorker(body: String) async throws {
        let fake = try script(body)
        defer { try? FileManager.default.removeItem(at: fake.folder) }
        let server = try await RunServer.start(mipSolver: fake.solver)
        _ = try await RunTests.BadPlan.seed(server.pool)
        let key = try await server.issueKey(role: .admin)
        // Time enough for the exact step to start even on a loaded machine (a hung worker is killed
        // at the search's deadline, so the run takes about that long).
        let run = try await server.run(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":3000}"#)
        #expect(fake.ran(), "the exact step never started the worker")
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let after = try #require(run.score("score_after"))
        #expect(after.hard == 0 && after.unserved == 0)
        let result = try #require(run.result("pcb.fab"))
        #expect(result["outcome"] as? String == "written")
        #expect(result["bound_method"] as? String != "mip")
        // Optimal only where another bound proves it.
        let bound = try #require(result["bound"] as? [String: Any])
        let met = bound["unserved"] as? Int == after.unserved && bound["cost"] as? Int == after.cost
        #expect(result["optimal"] as? Bool == met)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test("with the real worker a small run is proven optimal in both parts")
    func realWorker() async throws {
        var worker = try #require(ProcessMIPSolver.besideExecutable(), "weft-mip-worker is not built beside the tests")
        worker.grace = .seconds(30)
        let server = try await RunServer.start(mipSolver: worker)
        _ = try await RunTests.BadPlan.seed(server.pool)
        let key = try await server.issueKey(role: .admin)
        let run = try await server.run(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":3000}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let after = try #require(run.score("score_after"))
        let result = try #require(run.result("pcb.fab"))
        let bound = try #require(result["bound"] as? [String: Any])
        #expect(result["optimal"] as? Bool == true, "\(result)")
        #expect(run["optimal"] as? Bool == true)
        #expect(bound["unserved"] as? Int == after.unserved && bound["cost"] as? Int == after.cost)
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
