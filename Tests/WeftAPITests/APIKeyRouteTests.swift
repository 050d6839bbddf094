import Foundation
import Testing
import WeftAPI
import WeftStore
import WeftTestSupport

@Suite("API keys through the API: issue, list, revoke")
struct APIKeyRouteTests {
    @Test func issuedKeyWorksAndStopsWorkingTheMomentItIsRevoked() async throws {
        let api = try await FactoryAPIFixture.start()
        let factory = try await api.createFactory()
        let created = try await api.admin("POST", "/v1/api-keys", json: #"{"role":"factory","factory_id":"\#(factory.uppercased())","label":"line 3 MES"}"#)
        #expect(created.status == 201)
        let secret = try #require(created.json["secret"] as? String)
        let id = try #require(created.json["id"] as? String)
        #expect(created.json["role"] as? String == "factory")
        #expect(created.json["factory_id"] as? String == factory)
        #expect(created.json["broker_id"] is NSNull)
        #expect(created.json["label"] as? String == "line 3 MES")
        #expect(created.json["revoked_at"] is NSNull)
        #expect(secret.hasPrefix("wft_\(created.json["prefix"] as? String ?? "?")_"))
        #expect(created.json["created_at"] as? String != nil)

        // The new key acts for its factory at once.
        #expect(try await api.send("GET", "/v1/factories/\(factory)", key: secret).status == 200)

        let revoke = try await api.admin("DELETE", "/v1/api-keys/\(id)")
        #expect(revoke.status == 204)
        #expect(revoke.body.isEmpty)
        // The very next request with it is refused; revoking again is harmless.
        let after = try await api.send("GET", "/v1/factories/\(factory)", key: secret)
        #expect(after.status == 401)
        #expect(try await api.admin("DELETE", "/v1/api-keys/\(id)").status == 204)
        #expect(try await api.admin("DELETE", "/v1/api-keys/\(id.uppercased())").status == 204)
        #expect(try await api.admin("DELETE", "/v1/api-keys/00000000-0000-4000-8000-000000000000").status == 404)
        #expect(try await api.admin("DELETE", "/v1/api-keys/not-an-id").status == 404)

        // A revoked admin key stops working too, even for revoking itself.
        let otherAdmin = try await api.createKey(#"{"role":"admin"}"#)
        #expect(try await api.send("DELETE", "/v1/api-keys/\(otherAdmin.id)", key: otherAdmin.secret).status == 204)
        #expect(try await api.send("GET", "/v1/api-keys", key: otherAdmin.secret).status == 401)
        try await api.stop()
    }

    @Test func storedValuesAreDigestsAndListsNeverShowSecrets() async throws {
        let api = try await FactoryAPIFixture.start()
        let broker = try await api.createBroker()
        let issued = try await api.createKey(#"{"role":"broker","broker_id":"\#(broker)"}"#)
        let row = try await api.server.pool.query("SELECT api_keys::text, secret_hash FROM api_keys WHERE id = $1", UUID(uuidString: issued.id)!)[0]
        #expect(try row.decode(Bytes.self, 1).bytes == sha256(Array(issued.secret.utf8)))
        let secretPart = String(issued.secret.split(separator: "_")[2])
        #expect(!(try row.decode(String.self, 0)).contains(secretPart), "no column holds the secret")

        let list = try await api.admin("GET", "/v1/api-keys")
        #expect(list.status == 200)
        #expect(list.items.count == 2) // the fixture's admin key and this one
        #expect(!list.text.contains(secretPart))
        #expect(list.items.allSatisfy { $0["secret"] == nil })
        let listed = try #require(list.items.first { $0["id"] as? String == issued.id })
        #expect(listed["broker_id"] as? String == broker && listed["role"] as? String == "broker")
        try await api.stop()
    }

    @Test func keysForMissingFactoriesOrBrokersAre422() async throws {
        let api = try await FactoryAPIFixture.start()
        let missing = "00000000-0000-4000-8000-00000000abcd"
        let factory = try await api.admin("POST", "/v1/api-keys", json: #"{"role":"factory","factory_id":"\#(missing)"}"#)
        #expect(factory.status == 422)
        #expect(factory.hasError("factory_id", "no factory with this id exists"))
        let broker = try await api.admin("POST", "/v1/api-keys", json: #"{"role":"broker","broker_id":"\#(missing)"}"#)
        #expect(broker.status == 422)
        #expect(broker.hasError("broker_id", "no broker with this id exists"))
        #expect(try await api.server.pool.query("SELECT count(*) FROM api_keys")[0].decode(Int.self, 0) == 1)
        try await api.stop()
    }

    @Test func listsPageThroughEveryItemOnce() async throws {
        let api = try await FactoryAPIFixture.start()
        for index in 0..<7 { _ = try await api.createKey(#"{"role":"admin","label":"k\#(index)"}"#) }
        for index in 0..<6 { _ = try await api.createBroker(name: "Broker \(index)") }
        for route in ["/v1/api-keys", "/v1/brokers"] {
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await api.admin("GET", "\(route)?limit=3\(cursor.map { "&cursor=\($0)" } ?? "")")
                #expect(page.status == 200)
                seen += page.items.compactMap { $0["id"] as? String }
                cursor = page.json["next_cursor"] as? String
                #expect(page.json.keys.contains("next_cursor"))
                pages += 1
            } while cursor != nil && pages < 10
            let total = route == "/v1/api-keys" ? 8 : 6
            #expect(seen.count == total && Set(seen).count == total, "\(route): \(seen)")
            #expect(pages == (total + 2) / 3)
        }
        try await api.stop()
    }
}
