import Foundation
import Testing
@testable import WeftAPI
import WeftTestSupport

@Suite("Per-key rate limiting")
struct RateLimitTests {
    @Test func bucketRefillsAtTheRate() {
        let limiter = RateLimiter(configuration: RateLimitConfiguration(perSecond: 2, burst: 3))
        let key = UUID()
        let start = ContinuousClock.now
        for _ in 0..<3 { #expect(limiter.acquire(key: key, now: start) == nil) }
        #expect(limiter.acquire(key: key, now: start) == 1)
        // Half a second at 2/s is one token.
        #expect(limiter.acquire(key: key, now: start + .milliseconds(500)) == nil)
        #expect(limiter.acquire(key: key, now: start + .milliseconds(500)) == 1)
        // Other keys have buckets of their own.
        #expect(limiter.acquire(key: UUID(), now: start) == nil)
        // A long pause refills to the burst, not beyond.
        let later = start + .seconds(60)
        for _ in 0..<3 { #expect(limiter.acquire(key: key, now: later) == nil) }
        #expect(limiter.acquire(key: key, now: later) != nil)
    }

    @Test func slowRatesAskForLongerWaits() {
        let limiter = RateLimiter(configuration: RateLimitConfiguration(perSecond: 0.1, burst: 1))
        let key = UUID()
        let start = ContinuousClock.now
        #expect(limiter.acquire(key: key, now: start) == nil)
        #expect(limiter.acquire(key: key, now: start) == 10)
        #expect(limiter.acquire(key: key, now: start + .seconds(4)) == 6)
    }

    @Test func defaultBurstIsTwiceTheRate() {
        #expect(RateLimitConfiguration(perSecond: 5).burst == 10)
        #expect(RateLimitConfiguration(perSecond: 0.2).burst == 1)
        #expect(RateLimitConfiguration(perSecond: 5).limitAdmins == false)
    }

    @Test func overTheLimitIs429WithRetryAfter() async throws {
        // One token per 1,000 s: however slowly a loaded machine runs this test, the bucket
        // cannot refill between the requests (at 0.5 per second a 2-second stall did).
        let server = try await ObservedServer.start(configuration: AppConfiguration(rateLimit: RateLimitConfiguration(perSecond: 0.001, burst: 2)))
        let (network, _) = try await NetworkFixture.seed(server.pool, [.init(name: "Only", slots: [(1, 100, 10)])])
        let broker = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let other = try await server.issueKey(role: .broker, brokerID: network.brokerID)
        let admin = try await server.issueKey(role: .admin)
        let client = try server.client()
        let auth = ["Authorization": "Bearer \(broker)"]

        #expect(try await client.send("GET", "/v1/orders", headers: auth).status == 200)
        #expect(try await client.send("GET", "/v1/orders", headers: auth).status == 200)
        let refused = try await client.send("GET", "/v1/orders", headers: auth)
        #expect(refused.status == 429)
        // The wait for the next token: at most its whole refill time, less what has refilled.
        let retryAfter = try #require(refused.header("Retry-After").flatMap { Int($0) })
        #expect((1...1000).contains(retryAfter))
        #expect(refused.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        #expect(refused.json["status"] as? Int == 429)
        #expect((refused.json["detail"] as? String)?.contains("0.001 requests per second (bursts of 2); retry after \(retryAfter) s") == true)
        // Refused requests do no work: an order submitted over the limit is not stored.
        let order = OrderSubmitTests.order(due: 3, quantity: 10)
        #expect(try await client.send("POST", "/v1/orders", headers: auth, json: order).status == 429)
        #expect(try await server.pool.query("SELECT count(*) FROM orders")[0].decode(Int.self, 0) == 0)

        // Another key of the same broker has its own bucket; admins are not limited by default.
        #expect(try await client.send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(other)"]).status == 200)
        for _ in 0..<5 {
            #expect(try await client.send("GET", "/v1/orders", headers: ["Authorization": "Bearer \(admin)"]).status == 200)
        }
        // Unauthenticated endpoints are never limited.
        for _ in 0..<5 { #expect(try await client.send("GET", "/healthz").status == 200) }

        let metrics = Scrape(try await client.send("GET", "/metrics").text)
        #expect(metrics[#"weft_http_rate_limited_total{role="broker"}"#] == 2)
        #expect(metrics[#"weft_http_requests_total{method="GET",route="/v1/orders",status="429"}"#] == 1)
        // The refusal's log line still names the key.
        let line = try #require(server.log.entries.first { $0.metadata["http.status"] == "429" })
        #expect(line.metadata["auth.role"] == "broker")
        try await server.stop()
    }

    @Test func adminsCanBeLimitedToo() async throws {
        let limit = RateLimitConfiguration(perSecond: 0.001, burst: 1, limitAdmins: true)
        let server = try await ObservedServer.start(configuration: AppConfiguration(rateLimit: limit))
        let admin = try await server.issueKey(role: .admin)
        let client = try server.client()
        #expect(try await client.send("GET", "/v1/factories", headers: ["Authorization": "Bearer \(admin)"]).status == 200)
        #expect(try await client.send("GET", "/v1/factories", headers: ["Authorization": "Bearer \(admin)"]).status == 429)
        try await server.stop()
    }

    @Test func withoutAConfigurationNothingIsLimited() async throws {
        let server = try await ObservedServer.start()
        let admin = try await server.issueKey(role: .admin)
        let client = try server.client()
        for _ in 0..<30 {
            #expect(try await client.send("GET", "/v1/factories", headers: ["Authorization": "Bearer \(admin)"]).status == 200)
        }
        try await server.stop()
    }
}
