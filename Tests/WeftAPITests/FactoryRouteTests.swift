import Foundation
import Testing
import WeftTestSupport

@Suite("Factories and brokers through the API")
struct FactoryRouteTests {
    @Test func createReturnsTheInputWithIdAndTimestamps() async throws {
        let api = try await FactoryAPIFixture.start()
        let created = try await api.admin("POST", "/v1/factories", json: """
            {"name":"Dongguan Molding","region":"CN-GD","lat":22.9,"lon":113.75,"lead_days":3,
             "certifications":["ISO9001","IATF-16949"],"capabilities":[{"capability":"injection.molding","setup_cost":250000},
             {"capability":"cnc.milling","setup_cost":90000}]}
            """)
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"] as? String)
        #expect(created.header("Location") == "/v1/factories/\(id)")
        #expect(created.json["name"] as? String == "Dongguan Molding")
        #expect(created.json["region"] as? String == "CN-GD")
        #expect(created.json["lat"] as? Double == 22.9 && created.json["lon"] as? Double == 113.75)
        #expect(created.json["lead_days"] as? Int == 3)
        #expect(created.json["certifications"] as? [String] == ["ISO9001", "IATF-16949"])
        let capabilities = created.json["capabilities"] as? [[String: Any]] ?? []
        #expect(capabilities.map { $0["capability"] as? String ?? "" } == ["cnc.milling", "injection.molding"])
        #expect(capabilities.map { $0["setup_cost"] as? Int ?? -1 } == [90000, 250000])
        #expect(created.json["active"] as? Bool == true)
        #expect(created.json["created_at"] is String && created.json["updated_at"] is String)

        let fetched = try await api.admin("GET", "/v1/factories/\(id)")
        #expect(fetched.status == 200)
        #expect(fetched.text == created.text)

        let bare = try await api.admin("POST", "/v1/factories", json: #"{"name":"Bare","region":"DE","lead_days":0}"#)
        #expect(bare.status == 201)
        #expect(bare.json["lat"] is NSNull && bare.json["lon"] is NSNull)
        #expect((bare.json["capabilities"] as? [Any])?.isEmpty == true && (bare.json["certifications"] as? [Any])?.isEmpty == true)
        try await api.stop()
    }

    @Test func listFiltersByCapabilityRegionAndActive() async throws {
        let api = try await FactoryAPIFixture.start()
        let a = try await api.createFactory(name: "A", region: "CN-GD", capabilities: ["pcb.fab": 1])
        let b = try await api.createFactory(name: "B", region: "CN-GD", capabilities: ["sewing": 1], active: false)
        let c = try await api.createFactory(name: "C", region: "VN-SG", capabilities: ["pcb.fab": 1, "sewing": 2])
        func ids(_ query: String) async throws -> [String] {
            let response = try await api.admin("GET", "/v1/factories\(query)")
            #expect(response.status == 200, "\(query): \(response.text)")
            return response.items.compactMap { $0["id"] as? String }
        }
        #expect(try await ids("") == [a, b, c])
        #expect(try await ids("?capability=pcb.fab") == [a, c])
        #expect(try await ids("?region=CN-GD") == [a, b])
        #expect(try await ids("?active=false") == [b])
        #expect(try await ids("?active=true&capability=sewing") == [c])
        #expect(try await ids("?capability=sewing&region=CN-GD&active=true") == [])
        #expect(try await ids("?capability=weaving") == [])
        let first = try await api.admin("GET", "/v1/factories?limit=2&capability=pcb.fab&limit=")
        #expect(first.status == 200 && first.items.count == 2 && first.json["next_cursor"] is NSNull)
        let paged = try await api.admin("GET", "/v1/factories?limit=2")
        let cursor = try #require(paged.json["next_cursor"] as? String)
        #expect(try await ids("?limit=2&cursor=\(cursor)") == [c])
        try await api.stop()
    }

    @Test func patchChangesOnlyWhatIsGivenAndReplacesCapabilities() async throws {
        let api = try await FactoryAPIFixture.start()
        let id = try await api.createFactory(capabilities: ["pcb.fab": 100, "smt.assembly": 50])
        let key = try await api.factoryKey(id)
        let path = "/v1/factories/\(id)"
        #expect(try await api.send("PATCH", path, key: key, json: #"{"lat":10.5,"lon":20}"#).status == 200)
        let patched = try await api.send("PATCH", path, key: key, json: """
            {"lat":null,"lead_days":5,"active":false,"capabilities":[{"capability":"smt.assembly","setup_cost":70},{"capability":"cnc.milling","setup_cost":9}]}
            """)
        #expect(patched.status == 200, "\(patched.text)")
        #expect(patched.json["name"] as? String == "Shenzhen PCB 1")
        #expect(patched.json["lat"] is NSNull && patched.json["lon"] as? Double == 20)
        #expect(patched.json["lead_days"] as? Int == 5 && patched.json["active"] as? Bool == false)
        let capabilities = (patched.json["capabilities"] as? [[String: Any]] ?? []).map { "\($0["capability"]!)=\($0["setup_cost"]!)" }
        #expect(capabilities == ["cnc.milling=9", "smt.assembly=70"])
        // An empty patch changes nothing and answers the factory.
        let empty = try await api.send("PATCH", path, key: key, json: "{}")
        #expect(empty.status == 200 && empty.json["updated_at"] as? String == patched.json["updated_at"] as? String)
        try await api.stop()
    }

    @Test func removingACapabilityThatStillHasCapacityIs409() async throws {
        let api = try await FactoryAPIFixture.start()
        let id = try await api.createFactory(capabilities: ["pcb.fab": 100, "smt.assembly": 50])
        let path = "/v1/factories/\(id)"
        #expect(try await api.admin("PUT", "\(path)/capacity", json: slotsBody([
            ("pcb.fab", "2030-01-01", 10, 1), ("pcb.fab", "2030-01-05", 10, 1), ("smt.assembly", "2030-01-01", 10, 1),
        ])).status == 200)
        try await CapacityTests.allocate(api.server.pool, factory: id, day: "2030-01-05", units: 2)
        let refused = try await api.admin("PATCH", path, json: #"{"name":"Renamed","capabilities":[{"capability":"smt.assembly","setup_cost":1}]}"#)
        #expect(refused.status == 409, "\(refused.text)")
        #expect(refused.isProblem)
        #expect(refused.hasError("capabilities", "leaves out 'pcb.fab', which has capacity on 2 days from 2030-01-01 to 2030-01-05, 1 of them with allocated work"))
        #expect((refused.json["detail"] as? String)?.contains("PUT \(path)/capacity") == true)
        let unchanged = try await api.admin("GET", path)
        #expect(unchanged.json["name"] as? String == "Shenzhen PCB 1")
        #expect((unchanged.json["capabilities"] as? [Any])?.count == 2)

        // Withdrawn capacity (0 units, nothing allocated) goes with the capability.
        #expect(try await api.admin("PUT", "\(path)/capacity", json: slotsBody([("smt.assembly", "2030-01-01", 0, 1)])).status == 200)
        let removed = try await api.admin("PATCH", path, json: #"{"capabilities":[{"capability":"pcb.fab","setup_cost":100}]}"#)
        #expect(removed.status == 200, "\(removed.text)")
        #expect(try await api.server.pool.query("SELECT count(*) FROM capacity_slots WHERE capability = 'smt.assembly'")[0].decode(Int.self, 0) == 0)
        try await api.stop()
    }

    @Test func brokersAreCreatedAndListed() async throws {
        let api = try await FactoryAPIFixture.start()
        let created = try await api.admin("POST", "/v1/brokers", json: #"{"name":"Quick Parts GmbH"}"#)
        #expect(created.status == 201)
        #expect(created.json["name"] as? String == "Quick Parts GmbH")
        #expect(created.json["id"] is String && created.json["created_at"] is String)
        let list = try await api.admin("GET", "/v1/brokers")
        #expect(list.items.count == 1 && list.items[0]["id"] as? String == created.json["id"] as? String)
        #expect(list.json["next_cursor"] is NSNull)
        try await api.stop()
    }
}
