import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore
import WeftTestSupport

@Suite("Schedule runs: one per capability, abandoned runs, validation and access")
struct RunLockTests {
    static func network(_ pool: PostgresPool) async throws -> NetworkFixture {
        let (network, _) = try await NetworkFixture.seed(pool, [
            .init(name: "Board", slots: [(1, 100, 10)]),
            .init(name: "BoardDear", slots: [(1, 100, 40)]),
            .init(name: "Mill", capability: "cnc.milling", slots: [(1, 100, 10)]),
            .init(name: "MillDear", capability: "cnc.milling", slots: [(1, 100, 40)]),
        ])
        // One badly placed order per capability, so each run has something to write.
        try await RunSeed.order(pool, broker: network.brokerID, quantity: 30, due: 3, allocations: [(network.factoryIDs["BoardDear"]!, 1, 30, false)])
        try await RunSeed.order(pool, broker: network.brokerID, capability: "cnc.milling", quantity: 30, due: 3,
                                allocations: [(network.factoryIDs["MillDear"]!, 1, 30, false)])
        return network
    }

    @Test func aSecondRunOnABusyCapabilityIsRefusedWhileOthersProceed() async throws {
        let server = try await RunServer.start()
        _ = try await Self.network(server.pool)
        let key = try await server.issueKey(role: .admin)
        // The pcb.fab run is held just before it writes; the test lets it go at the end.
        let release = Latch(), arrived = Latch()
        server.gate.set { _, capability, _ in
            guard capability == "pcb.fab" else { return }
            arrived.open()
            await release.wait()
        }
        let first = try await server.post(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":200}"#)
        #expect(first.status == 202)
        let firstID = try #require(first.json["id"] as? String)
        await arrived.wait()

        let refused = try await server.post(key, #"{"capabilities":["pcb.fab"],"dry_run":true,"if_busy":"refuse"}"#)
        #expect(refused.status == 409)
        #expect(refused.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect((refused.json["detail"] as? String)?.contains(firstID) == true)
        let all = try await server.post(key, #"{"time_limit_ms":100,"if_busy":"refuse"}"#)   // all capabilities include pcb.fab
        #expect(all.status == 409)

        // Another capability runs (and finishes) meanwhile.
        let other = try await server.run(key, #"{"capabilities":["cnc.milling"],"time_limit_ms":200}"#)
        #expect(other["status"] as? String == "succeeded", "\(other)")
        #expect(other.result("cnc.milling")?["outcome"] as? String == "written")
        let listed = try await server.client().send("GET", "/v1/schedule-runs?status=running", headers: ["Authorization": "Bearer \(key)"])
        #expect((listed.json["items"] as? [[String: Any]])?.map { $0["id"] as? String } == [firstID])

        release.open()
        let done = try await server.finished(key, firstID)
        #expect(done["status"] as? String == "succeeded", "\(done)")
        // Free again.
        let again = try await server.run(key, #"{"capabilities":["pcb.fab"],"dry_run":true,"time_limit_ms":100}"#)
        #expect(again["status"] as? String == "succeeded")
        try await Invariants.check(server.pool)
        try await server.stop()
    }

    @Test func aLockHeldByAnotherProcessRefusesTheRun() async throws {
        let server = try await RunServer.start()
        _ = try await Self.network(server.pool)
        let key = try await server.issueKey(role: .admin)
        // Another server process: a session holding the capability's lock.
        let other = try PostgresConnection.connect(server.pool.configuration.connectionString)
        try other.query("SELECT pg_advisory_lock($1, $2)", RunLockSession.namespace, RunLockSession.capabilityKey("cnc.milling"))
        let refused = try await server.post(key, #"{"capabilities":["cnc.milling","pcb.fab"],"if_busy":"refuse"}"#)
        #expect(refused.status == 409)
        #expect((refused.json["detail"] as? String)?.contains("'cnc.milling'") == true)
        #expect(try await server.pool.query("SELECT count(*) FROM schedule_runs")[0].decode(Int.self, 0) == 0)
        // All or nothing: pcb.fab was not left locked by the refused run.
        let fab = try await server.run(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":100}"#)
        #expect(fab["status"] as? String == "succeeded")
        try other.query("SELECT pg_advisory_unlock_all()")
        let mill = try await server.run(key, #"{"capabilities":["cnc.milling"],"time_limit_ms":100}"#)
        #expect(mill["status"] as? String == "succeeded")
        try await server.stop()
    }

    @Test func runsLeftRunningByADeadProcessAreMarkedFailed() async throws {
        let server = try await RunServer.start()
        let key = try await server.issueKey(role: .admin)
        let client = try server.client()
        // A run whose process died: its row says running, nobody holds its lock.
        let dead = try await server.pool.query("""
            INSERT INTO schedule_runs (status, capabilities, time_limit_ms, seed, as_of, started_at, created_at)
            VALUES ('running', '{pcb.fab}', 1000, 1, current_date, now() - interval '1 hour', now() - interval '1 hour') RETURNING id
            """)[0].decode(UUID.self, 0)
        // A run alive elsewhere: its lock is held by another session.
        let alive = try await server.pool.query("""
            INSERT INTO schedule_runs (status, capabilities, time_limit_ms, seed, as_of, started_at)
            VALUES ('running', '{cnc.milling}', 1000, 1, current_date, now()) RETURNING id
            """)[0].decode(UUID.self, 0)
        let other = try PostgresConnection.connect(server.pool.configuration.connectionString)
        try other.query("SELECT pg_advisory_lock($1)", RunLockSession.runKey(alive))

        let fetched = try await client.send("GET", "/v1/schedule-runs/\(dead.uuidString.lowercased())", headers: ["Authorization": "Bearer \(key)"])
        #expect(fetched.json["status"] as? String == "failed")
        #expect(fetched.json["error"] as? String == "server process stopped")
        #expect(fetched.json["finished_at"] is String)
        let list = try await client.send("GET", "/v1/schedule-runs", headers: ["Authorization": "Bearer \(key)"])
        let items = try #require(list.json["items"] as? [[String: Any]])
        #expect(items.map { $0["id"] as? String } == [alive, dead].map { $0.uuidString.lowercased() })   // newest first
        #expect(items.first?["status"] as? String == "running")
        // Once its session ends, the other one reads as abandoned too.
        try other.query("SELECT pg_advisory_unlock_all()")
        let later = try await client.send("GET", "/v1/schedule-runs/\(alive.uuidString.lowercased())", headers: ["Authorization": "Bearer \(key)"])
        #expect(later.json["status"] as? String == "failed")
        #expect(try await server.runs.failAbandoned().isEmpty)
        try await server.stop()
    }

    @Test func badRequestsAreRefusedWithProblems() async throws {
        let server = try await RunServer.start()
        let network = try await Self.network(server.pool)
        let admin = try await server.issueKey(role: .admin)
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(admin)"]

        for (body, field) in [(#"{"time_limit_ms":0}"#, "time_limit_ms"), (#"{"time_limit_ms":600001}"#, "time_limit_ms"),
                              (#"{"capabilities":["PCB!"]}"#, "capabilities[0]"), (#"{"as_of":"2025-02-30"}"#, "as_of"),
                              (#"{"seed":-1}"#, "seed"), (#"{"dry_run":"yes"}"#, "dry_run"), (#"{"speed":1}"#, "speed"),
                              (#"{"capabilities":["pcb.fab","weaving"]}"#, "capabilities[1]"), (#"{"if_busy":"wait"}"#, "if_busy")] {
            let response = try await client.send("POST", "/v1/schedule-runs", headers: auth, json: body)
            #expect(response.status == 422, "\(body)")
            let errors = response.json["errors"] as? [[String: Any]] ?? []
            #expect(errors.contains { $0["field"] as? String == field }, "\(body): \(response.text)")
        }
        #expect(try await client.send("POST", "/v1/schedule-runs", headers: auth, json: "{").status == 400)
        #expect(try await client.send("POST", "/v1/schedule-runs?x=1", headers: auth, json: "{}").status == 422)
        let forbidden = try await client.send("POST", "/v1/schedule-runs", headers: ["Authorization": "Bearer \(broker)"], json: "{}")
        #expect(forbidden.status == 403)
        #expect(try await client.send("GET", "/v1/schedule-runs", headers: ["Authorization": "Bearer \(broker)"]).status == 403)
        #expect(try await client.send("GET", "/v1/schedule-runs").status == 401)
        #expect(try await client.send("GET", "/v1/schedule-runs/\(UUID().uuidString)", headers: auth).status == 404)
        #expect(try await client.send("GET", "/v1/schedule-runs/not-a-run", headers: auth).status == 404)
        #expect(try await client.send("GET", "/v1/schedule-runs?status=done", headers: auth).status == 422)
        #expect(try await client.send("GET", "/v1/schedule-runs?cursor=bogus", headers: auth).status == 422)
        #expect(try await server.pool.query("SELECT count(*) FROM schedule_runs")[0].decode(Int.self, 0) == 0)
        try await server.stop()
    }

    @Test func historyPagesNewestFirst() async throws {
        let server = try await RunServer.start()
        _ = try await Self.network(server.pool)
        let key = try await server.issueKey(role: .admin)
        var ids: [String] = []
        for _ in 0..<2 {
            let run = try await server.run(key, #"{"dry_run":true,"time_limit_ms":50}"#)
            ids.append(try #require(run["id"] as? String))
        }
        // No body at all: every default (a real run of every capability, a seed the server picks
        // that JSON clients can repeat exactly).
        let defaults = try await server.run(key, "")
        ids.append(try #require(defaults["id"] as? String))
        #expect(defaults["dry_run"] as? Bool == false && defaults["time_limit_ms"] as? Int == 5_000)
        #expect(defaults["capabilities"] as? [String] == ["cnc.milling", "pcb.fab"])
        #expect((0...(1 << 53) - 1).contains(defaults["seed"] as? Int ?? -1))
        let client = try server.client()
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await client.send("GET", "/v1/schedule-runs?limit=2" + (cursor.map { "&cursor=\($0)" } ?? ""),
                                             headers: ["Authorization": "Bearer \(key)"])
            #expect(page.status == 200)
            let items = try #require(page.json["items"] as? [[String: Any]])
            #expect(items.allSatisfy { $0["diff"] == nil && $0["score_before"] != nil })
            seen += items.compactMap { $0["id"] as? String }
            cursor = page.json["next_cursor"] as? String
        } while cursor != nil
        #expect(seen == ids.reversed())
        let succeeded = try await client.send("GET", "/v1/schedule-runs?status=failed", headers: ["Authorization": "Bearer \(key)"])
        #expect((succeeded.json["items"] as? [Any])?.isEmpty == true)
        try await server.stop()
    }
}
