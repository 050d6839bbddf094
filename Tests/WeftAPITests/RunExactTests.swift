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

    /// Two orders of 150 compete for Cheap's 240 units; the rest goes to Dear, so one order pays
    /// two set-ups (optimum: 240 × 10 + 60 × 50 + 3 × 100). Each order alone would fit at Cheap
    /// (the per-order bound) and the transportation bound charges Dear's set-up only in part:
    /// only the MIP proves the optimum.
    static let competingOptimum = 240 * 10 + 60 * 50 + 3 * 100

    func seedCompeting(_ server: RunServer) async throws {
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "Cheap", setupCost: 100, slots: [(0, 60, 10), (1, 60, 10), (2, 60, 10), (3, 60, 10)]),
            .init(name: "Dear", setupCost: 100, slots: [(0, 100, 50), (1, 100, 50), (2, 100, 50), (3, 100, 50)]),
        ])
        for _ in 0..<2 { try await RunSeed.order(server.pool, broker: network.brokerID, quantity: 150, due: 5) }
    }

    @Test("a worker that crashes (SIGSEGV) or hangs: the run succeeds with the search's plan, not claimed optimal by the MIP",
          arguments: ["cat > /dev/null; kill -SEGV $$", "exec sleep 600"])
    func failingWorker(body: String) async throws {
        let fake = try script(body)
        defer { try? FileManager.default.removeItem(at: fake.folder) }
        let server = try await RunServer.start(mipSolver: fake.solver)
        try await seedCompeting(server)
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
        // Only the MIP could have proved it: not claimed.
        #expect(result["optimal"] as? Bool == false, "\(result)")
        #expect(run["optimal"] as? Bool == false)
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test("with the real worker a small run is proven optimal in both parts, by CBC")
    func realWorker() async throws {
        var worker = try #require(ProcessMIPSolver.besideExecutable(), "weft-mip-worker is not built beside the tests")
        worker.grace = .seconds(30)
        let server = try await RunServer.start(mipSolver: worker)
        try await seedCompeting(server)
        let key = try await server.issueKey(role: .admin)
        // A generous limit, so that a loaded machine cannot starve CBC of the milliseconds it
        // needs; the search stops as soon as CBC has proved the optimum.
        let run = try await server.run(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":10000}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let after = try #require(run.score("score_after"))
        let result = try #require(run.result("pcb.fab"))
        let bound = try #require(result["bound"] as? [String: Any])
        #expect(result["optimal"] as? Bool == true, "\(result)")
        #expect(result["bound_method"] as? String == "mip", "\(result)")
        #expect(after.hard == 0 && after.unserved == 0 && after.cost == Self.competingOptimum)
        #expect(run["optimal"] as? Bool == true)
        #expect(bound["unserved"] as? Int == after.unserved && bound["cost"] as? Int == after.cost)
        try await Invariants.check(server.pool)
        try await server.stop()
    }
}
