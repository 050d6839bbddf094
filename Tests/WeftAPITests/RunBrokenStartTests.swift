import Foundation
import Testing
import WeftAPI
import WeftCore
import WeftStore

@Suite("Runs over allocations that a factory change made invalid")
struct RunBrokenStartTests {
    /// Confirmed work stays put even when the factory changes; if what is left then breaks a
    /// hard constraint no plan may repair (here: fewer confirmed units than the order's
    /// minimum lot at a factory whose other slots are now too late), the capability is skipped
    /// with a note, nothing is written, and the run still succeeds.
    @Test func unrepairableStartIsSkippedWithANote() async throws {
        let server = try await RunServer.start()
        let (network, _) = try await NetworkFixture.seed(server.pool, [
            .init(name: "F", slots: [(2, 5, 5), (3, 50, 5)]),  // day 2 holds only the confirmed units
            .init(name: "G", slots: [(2, 50, 9)]),
        ])
        let f = network.factoryIDs["F"]!
        let order = try await RunSeed.order(server.pool, broker: network.brokerID, quantity: 15, due: 4, minLot: 10,
                                            allocations: [(f, 2, 5, true), (f, 3, 10, false)])
        // F now needs two days to ship: its day-3 slot can no longer make the due date.
        try await server.pool.query("UPDATE factories SET lead_days = 2 WHERE id = $1", f)
        let before = try await RunSeed.allocations(server.pool)

        let key = try await server.issueKey(role: .admin)
        let run = try await server.run(key, #"{"capabilities":["pcb.fab"],"time_limit_ms":300}"#)
        #expect(run["status"] as? String == "succeeded", "\(run)")
        let result = try #require(run.result("pcb.fab"))
        #expect(result["outcome"] as? String == "skipped")
        #expect((result["note"] as? String)?.contains("already break") == true)
        #expect(try await RunSeed.allocations(server.pool) == before)
        #expect(try await RunSeed.units(server.pool, order: order)[f] == 15)
        try await server.stop()
    }
}
