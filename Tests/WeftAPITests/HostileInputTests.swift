import Foundation
import Testing
import WeftAPI
import WeftFuzzSupport
import WeftTestSupport

/// Injection strings and malformed JSON through the whole app: every answer is a 4xx or a
/// success that stores the text verbatim, nothing is executed, and the database stays intact.
@Suite("Hostile input through the API")
struct HostileInputTests {
    static let payloads: [String] = [
        "'; DROP TABLE orders; --", "Robert'); DROP TABLE factories;--", "\" OR 1=1 --", "' OR '1'='1",
        "1; SELECT pg_sleep(10)", "$1", "%s%s%n", "${jndi:ldap://x/a}", "<script>alert(1)</script>",
        "../../etc/passwd", "\\x00\\", "\u{202E}gnp.exe", "☃️🏭", "a\u{0}b", "\u{FFFF}",
        String(repeating: "ä", count: 20_000), "{\"$gt\":\"\"}", "\r\nX-Injected: 1",
    ]

    /// A JSON string literal for `text`.
    static func literal(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }

    @Test func injectionStringsInEveryStringField() async throws {
        let api = try await FactoryAPIFixture.start()
        let pool = api.server.pool
        let factory = try await api.createFactory(name: "Real", capabilities: ["pcb.fab": 100])
        let brokerID = try await api.createBroker()
        var brokersCreated = 1
        var factoriesCreated = 1
        for payload in Self.payloads {
            let text = Self.literal(payload)
            let label = String(payload.prefix(30))

            let broker = try await api.admin("POST", "/v1/brokers", json: #"{"name":\#(text)}"#)
            #expect(broker.status < 500, "broker \(label): \(broker.text.prefix(300))")
            if broker.status == 201 {
                brokersCreated += 1
                #expect(broker.json["name"] as? String == payload, "broker name round trip \(label)")
            }

            let bodies = [
                #"{"name":\#(text),"region":"DE","lead_days":1}"#,
                #"{"name":"F","region":\#(text),"lead_days":1}"#,
                #"{"name":"F","region":"DE","lead_days":1,"certifications":[\#(text)]}"#,
                #"{"name":"F","region":"DE","lead_days":1,"capabilities":[{"capability":\#(text),"setup_cost":1}]}"#,
            ]
            for body in bodies {
                let created = try await api.admin("POST", "/v1/factories", json: body)
                #expect(created.status < 500, "factory \(label): \(created.text.prefix(300))")
                if created.status == 201 {
                    factoriesCreated += 1
                    let id = try #require(created.json["id"] as? String)
                    let fetched = try await api.admin("GET", "/v1/factories/\(id)")
                    #expect(fetched.text == created.text, "factory round trip \(label)")
                }
            }
            let patch = try await api.admin("PATCH", "/v1/factories/\(factory)", json: #"{"name":\#(text)}"#)
            #expect(patch.status < 500, "patch \(label): \(patch.text.prefix(300))")

            let orders = [
                #"{"broker_id":"\#(brokerID)","capability":\#(text),"quantity":1,"due_date":"2099-01-01"}"#,
                #"{"broker_id":"\#(brokerID)","capability":"pcb.fab","quantity":1,"due_date":"2099-01-01","reference":\#(text)}"#,
                #"{"broker_id":"\#(brokerID)","capability":"pcb.fab","quantity":1,"due_date":"2099-01-01","regions":[\#(text)]}"#,
                #"{"broker_id":"\#(brokerID)","capability":"pcb.fab","quantity":1,"due_date":"2099-01-01","certifications":[\#(text)]}"#,
                #"{"broker_id":"\#(brokerID)","capability":"pcb.fab","quantity":1,"due_date":\#(text)}"#,
            ]
            for body in orders {
                let order = try await api.admin("POST", "/v1/orders", json: body)
                #expect(order.status < 500, "order \(label): \(order.text.prefix(300))")
                if order.status == 201, body.contains("reference") {
                    #expect(order.json["reference"] as? String == payload, "reference round trip \(label)")
                }
            }

            // The 20 000-character payload would make a head over 64 KiB: a 431 and a closed
            // connection, which the HTTP fuzz tests cover.
            guard payload.utf8.count < 1000 else { continue }
            let encoded = payload.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "x"
            for target in ["/v1/factories?capability=\(encoded)&region=\(encoded)", "/v1/orders?status=\(encoded)",
                           "/v1/factories/\(encoded)", "/v1/orders/\(encoded)", "/v1/orders?cursor=\(encoded)"] {
                let read = try await api.admin("GET", target)
                #expect(read.status < 500, "GET \(target.prefix(60)): \(read.text.prefix(300))")
            }
        }

        // Nothing was dropped or rewritten behind the API's back.
        #expect(try await pool.query("SELECT count(*) FROM brokers")[0].decode(Int.self, 0) == brokersCreated)
        #expect(try await pool.query("SELECT count(*) FROM factories")[0].decode(Int.self, 0) == factoriesCreated)
        #expect(try await pool.query("SELECT count(*) FROM api_keys")[0].decode(Int.self, 0) == 1)
        #expect(try await api.admin("GET", "/v1/factories/\(factory)").status == 200)
        try await Invariants.check(pool)
        try await api.stop()
    }

    @Test func malformedJSONIsRefusedWith4xx() async throws {
        let api = try await FactoryAPIFixture.start()
        let deep = String(repeating: "[", count: 20_000) + String(repeating: "]", count: 20_000)
        let bodies: [String] = [
            deep, #"{"name":"x","region":"DE","lead_days":1e400}"#, #"{"name":"x","region":"DE","lead_days":99999999999999999999}"#,
            #"{"name":"x","region":"DE","lead_days":-1}"#, #"{"name":"x","region":"DE","lead_days":1.5}"#,
            #"{"name":"x","region":"DE","lead_days":1,"lat":1e999}"#, #"{"name":"x","region":"DE","lead_days":1,"lat":NaN}"#,
            #"{"name":"x","region":"DE","lead_days":1,"capabilities":[{"capability":"pcb.fab","setup_cost":9223372036854775808}]}"#,
            #"{"name":"\ud800","region":"DE","lead_days":1}"#, "", "null", "[]", #"{"name":"x""#,
            String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_000),
            #"{"name":"x","region":"DE","lead_days":-9223372036854775809}"#, #"{"name":"x","region":"DE","lead_days":Infinity}"#,
            #"{"name":"x","region":"DE","lead_days":1} trailing"#, #"{"name":"x","region":"DE","lead_days":1,"name":"y"}"#,
            "\u{FEFF}{\"name\":\"x\",\"region\":\"DE\",\"lead_days\":1}", #"{"name":"x","region":"DE","lead_days":"1"}"#,
            #"{"name":"x\u0000y","region":"DE","lead_days":1}"#, String(repeating: " ", count: 20_000),
            #"{"name":""# + String(repeating: "\\", count: 9_999) + #"","region":"DE","lead_days":1}"#,
        ]
        for body in bodies {
            let response = try await api.admin("POST", "/v1/factories", json: body)
            #expect((400..<500).contains(response.status), "\(body.prefix(60)): \(response.status) \(response.text.prefix(200))")
            #expect(response.header("Content-Type")?.hasPrefix("application/problem+json") == true)
        }
        let client = try api.server.client()
        let invalidUTF8 = Array(#"{"name":""#.utf8) + [0xC3, 0x28, 0xFF] + Array(#"","region":"DE","lead_days":1}"#.utf8)
        let raw = try await client.send("POST", "/v1/factories", headers: ["Authorization": "Bearer \(api.adminKey)", "Content-Type": "application/json"],
                                        body: invalidUTF8)
        #expect((400..<500).contains(raw.status), "invalid UTF-8: \(raw.status) \(raw.text)")
        for (name, bytes) in [
            ("overlong UTF-8", Array(#"{"name":""#.utf8) + [0xC0, 0xAF] + Array(#"","region":"DE","lead_days":1}"#.utf8)),
            ("UTF-16", Array(#"{"name":"x","region":"DE","lead_days":1}"#.utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }),
        ] {
            let response = try await client.send("POST", "/v1/factories", headers: ["Authorization": "Bearer \(api.adminKey)", "Content-Type": "application/json"],
                                                 body: bytes)
            #expect((400..<500).contains(response.status), "\(name): \(response.status) \(response.text)")
        }
        let quantity = try await api.admin("POST", "/v1/orders", json: #"{"capability":"pcb.fab","quantity":1e30,"due_date":"2099-01-01"}"#)
        #expect((400..<500).contains(quantity.status), "\(quantity.text)")
        #expect(try await api.server.pool.query("SELECT count(*) FROM factories")[0].decode(Int.self, 0) == 0)
        try await api.stop()
    }

    /// Mutated valid bodies through the handlers that serve them (WeftCore's JSONParser, then
    /// the ObjectReader checks): every answer is a success or a 4xx problem, never a 5xx, and
    /// the data stays consistent. Fixed seed, so a failure reproduces.
    @Test func mutatedBodiesNeverBreakTheRealHandlers() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory(name: "Fuzzed")
        let broker = try await api.createBroker()
        let seeds: [(method: String, path: String, body: String)] = [
            ("POST", "/v1/factories", #"{"name":"Mill","region":"DE","lead_days":2,"lat":48.1,"capabilities":[{"capability":"pcb.fab","setup_cost":500}]}"#),
            ("PATCH", "/v1/factories/\(factory)", #"{"name":"Mill 2","lead_days":3,"certifications":["iso9001"]}"#),
            ("PUT", "/v1/factories/\(factory)/capacity", slotsBody([("pcb.fab", "2030-01-02", 40, 12), ("pcb.fab", "2030-01-03", 10, 15)])),
            ("POST", "/v1/orders", #"{"broker_id":"\#(broker)","capability":"pcb.fab","quantity":5,"due_date":"2030-01-09","regions":["CN-GD"],"reference":"r\u00e9f"}"#),
            ("POST", "/v1/quotes", #"{"broker_id":"\#(broker)","capability":"pcb.fab","quantity":5,"due_date":"2030-01-09","min_lot":1}"#),
        ]
        var random = SplitMix64(seed: 0x5745_4654_4A53_4F4E)
        let interesting = Array(#"{}[],:"\-0e.1"#.utf8) + [0x00, 0x80, 0xC3, 0xFF]
        var answered: [Int: Int] = [:]
        let client = try api.server.client()
        for round in 0..<150 {
            let seed = seeds[round % seeds.count]
            let bytes = random.mutate(Array(seed.body.utf8), maxEdits: 3, alphabet: interesting)
            let response = try await client.send(seed.method, seed.path, headers: [
                "Authorization": "Bearer \(api.adminKey)", "Content-Type": "application/json",
            ], body: bytes)
            answered[response.status / 100, default: 0] += 1
            #expect(response.status < 500, "\(seed.method) \(seed.path) \(String(decoding: bytes, as: UTF8.self)): \(response.status) \(response.text.prefix(200))")
            if response.status >= 400 {
                #expect(response.isProblem, "\(seed.method) \(seed.path): a \(response.status) must be problem+json")
            }
        }
        // Most mutations break the document (400) or a field (422); some still form a valid body.
        #expect(answered[4, default: 0] > 50, "\(answered)")
        try await Invariants.check(api.server.pool)
        try await api.stop()
    }
}

