import Foundation
import NIOHTTP1
import WeftCore
import WeftHTTP
import WeftStore

/// Loads the demo network through Weft's own HTTP handlers, in process: brokers, factories
/// and capacity are created and every order is submitted exactly as `POST /v1/orders` would
/// be (validation, instant placement, allocations), then a schedule run is started where the
/// server has runs. Nothing is written around the API, so the demo is also a smoke test.
public struct DemoLoader: Sendable {
    /// What was loaded.
    public struct Summary: Sendable {
        /// True when `ifEmpty` found factories and loaded nothing.
        public var skipped: Bool
        public var existingFactories: Int
        public var factories = 0
        public var regions = 0
        public var capabilities = 0
        public var slots = 0
        public var brokers = 0
        /// Orders by status after placement and cancellations.
        public var orders: [String: Int] = [:]
        public var allocations = 0
        /// Orders that name a pool (cancelled ones aside), and the (slot, pool) batch groups
        /// that two or more orders share.
        public var pooledOrders = 0
        public var sharedBatchGroups = 0
        /// The runs' ids and final statuses, when the server has runs.
        public var runs: [(id: String, status: String)] = []
        /// The admin key the demo issued (secret), for signing in to the dashboard.
        public var adminKey: String?
        public var seconds = 0.0
    }

    public enum Failure: Error, CustomStringConvertible {
        case refused(String, Int, String)
        public var description: String {
            switch self {
            case .refused(let what, let status, let body): return "the demo's \(what) was refused (\(status)): \(body.prefix(500))"
            }
        }
    }

    let app: WeftApp

    public init(app: WeftApp) { self.app = app }

    /// Loads the network for `today` from `seed`. With `ifEmpty`, does nothing when any
    /// factory exists (so a start-up script can call it every time).
    public func load(seed: UInt64 = 20_261_122, today: Day? = nil, ifEmpty: Bool = false,
                     orderCount: Int = 320, runTimeLimitMs: Int = 2_000) async throws -> Summary {
        let started = Date()
        let pool = app.context.pool
        let existing = try await pool.query("SELECT count(*) FROM factories")[0].decode(Int.self, 0)
        if ifEmpty, existing > 0 { return Summary(skipped: true, existingFactories: existing) }
        let today = today ?? Day.today
        let network = DemoNetwork(seed: seed, today: today, orderCount: orderCount)

        let secret = try APIKeySecret.generate()
        _ = try await pool.transaction { connection in
            try APIKeyRecords.insert(on: connection, role: "admin", factoryID: nil, brokerID: nil, label: "weft demo",
                                     prefix: secret.prefix, digest: secret.digest)
        }
        let client = InProcessClient(responder: app.responder, key: secret.text)
        var summary = Summary(skipped: false, existingFactories: existing, adminKey: secret.text)

        var brokerIDs: [String] = []
        for name in DemoNetwork.brokers {
            brokerIDs.append(try await client.send(.POST, "/v1/brokers", DemoNetwork.json(["name": name]), expect: 201, "broker")["id"] as? String ?? "")
        }
        for factory in network.factories {
            let created = try await client.send(.POST, "/v1/factories", factory.profileJSON, expect: 201, "factory \(factory.name)")
            let id = created["id"] as? String ?? ""
            let capacity = try await client.send(.PUT, "/v1/factories/\(id)/capacity", factory.capacityJSON, expect: 200, "capacity of \(factory.name)")
            summary.slots += capacity["upserted"] as? Int ?? 0
        }
        // Orders arrive in two waves with a run after each, as in a working week, so the
        // run history has a before and after to show.
        var orderIDs: [String] = []
        let firstWave = network.orders.count / 2
        for (index, order) in network.orders.enumerated() {
            // Admins submit on a broker's behalf by naming it.
            let body = String(order.json.dropLast()) + ",\"broker_id\":\"\(brokerIDs[order.broker])\"}"
            orderIDs.append(try await client.send(.POST, "/v1/orders", body, expect: 201, "order")["id"] as? String ?? "")
            if index + 1 == firstWave, let run = try await scheduleRun(client, seed: seed, timeLimitMs: runTimeLimitMs) {
                summary.runs.append(run)
            }
        }
        for index in network.cancellations {
            _ = try await client.send(.POST, "/v1/orders/\(orderIDs[index])/cancel", "", expect: 200, "cancellation")
        }
        if let run = try await scheduleRun(client, seed: seed &+ 1, timeLimitMs: runTimeLimitMs) { summary.runs.append(run) }

        let counts = try await pool.query("""
            SELECT (SELECT count(*) FROM factories), (SELECT count(DISTINCT region) FROM factories),
                   (SELECT count(DISTINCT capability) FROM factory_capabilities), (SELECT count(*) FROM brokers),
                   (SELECT count(*) FROM allocations),
                   (SELECT count(*) FROM orders WHERE pool IS NOT NULL AND status <> 'cancelled'),
                   (SELECT count(*) FROM slot_pool_units p
                     WHERE (SELECT count(*) FROM allocations a JOIN orders o ON o.id = a.order_id
                             WHERE a.slot_id = p.slot_id AND o.pool = p.pool) > 1)
            """)[0]
        summary.factories = try counts.decode(Int.self, 0)
        summary.regions = try counts.decode(Int.self, 1)
        summary.capabilities = try counts.decode(Int.self, 2)
        summary.brokers = try counts.decode(Int.self, 3)
        summary.allocations = try counts.decode(Int.self, 4)
        summary.pooledOrders = try counts.decode(Int.self, 5)
        summary.sharedBatchGroups = try counts.decode(Int.self, 6)
        for row in try await pool.query("SELECT status, count(*) FROM orders GROUP BY status") {
            summary.orders[try row.decode(String.self, 0)] = try row.decode(Int.self, 1)
        }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// Starts a run and waits for it when the server has `POST /v1/schedule-runs`; nil when it
    /// has not (404/405), so the demo works on servers with and without runs.
    private func scheduleRun(_ client: InProcessClient, seed: UInt64, timeLimitMs: Int) async throws -> (id: String, status: String)? {
        let body = DemoNetwork.json(["time_limit_ms": timeLimitMs, "seed": Int(seed % 1_000_000)])
        let (status, started) = try await client.raw(.POST, "/v1/schedule-runs", body)
        guard status != 404, status != 405 else { return nil }
        guard (200..<300).contains(status), let id = started["id"] as? String else {
            throw Failure.refused("schedule run", status, DemoNetwork.json(started))
        }
        var current = started["status"] as? String ?? "queued"
        let deadline = Date().addingTimeInterval(Double(timeLimitMs) / 1000 + 30)
        while current == "queued" || current == "running", Date() < deadline {
            try await Task.sleep(for: .milliseconds(200))
            current = try await client.raw(.GET, "/v1/schedule-runs/\(id)", "").1["status"] as? String ?? current
        }
        return (id, current)
    }
}

/// Sends requests straight to the app's responder, with the demo's admin key.
struct InProcessClient: Sendable {
    let responder: any Responder
    let key: String

    func raw(_ method: HTTPMethod, _ path: String, _ body: String) async throws -> (Int, [String: Any]) {
        let request = try Request(method: method, uri: path,
                                  headers: ["Authorization": "Bearer \(key)", "Content-Type": "application/json"], body: Array(body.utf8))
        let response = try await responder.respond(to: request)
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        return (Int(response.status.code), object)
    }

    func send(_ method: HTTPMethod, _ path: String, _ body: String, expect: Int, _ what: String) async throws -> [String: Any] {
        let (status, object) = try await raw(method, path, body)
        guard status == expect else { throw DemoLoader.Failure.refused(what, status, DemoNetwork.json(object)) }
        return object
    }
}
