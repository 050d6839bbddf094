import Foundation
import WeftCore

/// SQL for the `factories` aggregate: the profile row and its `factory_capabilities`.
public enum FactoryRecords {
    /// A stored factory with its capabilities (sorted by capability).
    public struct Record: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var region: String
        public var lat: Double?
        public var lon: Double?
        public var leadDays: Int
        public var certifications: [String]
        public var capabilities: [CapabilitySetupCost]
        public var active: Bool
        public var createdAt: Date
        public var updatedAt: Date
    }

    /// Filters of the factory list; nil means "any".
    public struct ListFilter: Sendable {
        public var capability: String?
        public var region: String?
        public var active: Bool?
        public var after: ListPosition?
        public var limit: Int

        public init(capability: String? = nil, region: String? = nil, active: Bool? = nil, after: ListPosition? = nil, limit: Int) {
            self.capability = capability
            self.region = region
            self.active = active
            self.after = after
            self.limit = limit
        }
    }

    /// Why a capability set cannot replace the current one: these capabilities, which the
    /// new set leaves out, still have capacity or allocated work.
    public struct CapabilitiesInUse: Error, Sendable, Equatable {
        public struct Use: Sendable, Equatable {
            public var capability: String
            /// Slots with units > 0 or allocated > 0.
            public var liveSlots: Int
            /// Of those, slots with allocated work.
            public var allocatedSlots: Int
            public var firstDay: Day
            public var lastDay: Day
        }
        public var uses: [Use]
    }

    // The capabilities ride along as two arrays sorted by capability, so a factory is one row.
    static let columns = """
        f.id, f.name, f.region, f.lat, f.lon, f.lead_days, f.certifications, f.active, f.created_at, f.updated_at,
        ARRAY(SELECT c.capability FROM factory_capabilities c WHERE c.factory_id = f.id ORDER BY c.capability),
        ARRAY(SELECT c.setup_cost FROM factory_capabilities c WHERE c.factory_id = f.id ORDER BY c.capability),
        ARRAY(SELECT c.batch_cost FROM factory_capabilities c WHERE c.factory_id = f.id ORDER BY c.capability),
        ARRAY(SELECT coalesce(c.batch_units, 0) FROM factory_capabilities c WHERE c.factory_id = f.id ORDER BY c.capability)
        """

    static func record(_ row: PostgresRow) throws -> Record {
        let codes = try row.decode([String].self, 10)
        let costs = try row.decode([Int64].self, 11)
        let batchCosts = try row.decode([Int64].self, 12)
        let batchUnits = try row.decode([Int64].self, 13) // 0: unlimited
        guard codes.count == costs.count, codes.count == batchCosts.count, codes.count == batchUnits.count else {
            throw PostgresError(.decoding, "capability arrays of different lengths")
        }
        let capabilities = try codes.indices.map { i in
            guard let capability = Capability(codes[i]) else { throw PostgresError(.decoding, "stored capability \(codes[i]) is not valid") }
            return CapabilitySetupCost(capability: capability, setupCost: costs[i], batchCost: batchCosts[i],
                                       batchUnits: batchUnits[i] > 0 ? Int(batchUnits[i]) : nil)
        }
        return Record(id: try row.decode(UUID.self, 0), name: try row.decode(String.self, 1), region: try row.decode(String.self, 2),
                      lat: try row.decode(Double?.self, 3), lon: try row.decode(Double?.self, 4), leadDays: try row.decode(Int.self, 5),
                      certifications: try row.decode([String].self, 6), capabilities: capabilities, active: try row.decode(Bool.self, 7),
                      createdAt: try row.decode(Date.self, 8), updatedAt: try row.decode(Date.self, 9))
    }

    /// Stores a new factory and its capabilities.
    public static func insert(on connection: PostgresConnection, _ input: FactoryInput) throws -> Record {
        let id = try connection.query("""
            INSERT INTO factories (name, region, lat, lon, lead_days, certifications, active)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """, input.name, input.region, input.lat, input.lon, input.leadDays, input.certifications, input.active)[0]
            .decode(UUID.self, 0)
        try upsertCapabilities(on: connection, factoryID: id, input.capabilities)
        guard let record = try find(on: connection, id: id) else { throw PostgresError(.decoding, "inserted factory vanished") }
        return record
    }

    /// The factory with this id, or nil.
    public static func find(on connection: PostgresConnection, id: UUID, forUpdate: Bool = false) throws -> Record? {
        try connection.query("SELECT \(columns) FROM factories f WHERE f.id = $1\(forUpdate ? " FOR UPDATE OF f" : "")", id)
            .first.map(record)
    }

    /// Up to `filter.limit` factories in creation order.
    public static func list(on connection: PostgresConnection, _ filter: ListFilter) throws -> [Record] {
        var sql = SQLFilter()
        if let capability = filter.capability {
            sql.add("EXISTS (SELECT 1 FROM factory_capabilities c WHERE c.factory_id = f.id AND c.capability = ?)", capability)
        }
        if let region = filter.region { sql.add("f.region = ?", region) }
        if let active = filter.active { sql.add("f.active = ?", active) }
        sql.after(filter.after)
        return try connection.query("""
            SELECT \(columns) FROM factories f \(sql.whereClause) ORDER BY f.created_at, f.id LIMIT \(sql.next)
            """, binds: sql.binds + [filter.limit]).map(record)
    }

    /// Applies `patch` and returns the factory as it now is; nil when there is no such factory.
    ///
    /// A new capability set replaces the old one. Capabilities it leaves out are removed
    /// together with their withdrawn slots (0 units, nothing allocated); if any of them still
    /// has capacity or allocated work, nothing changes and `CapabilitiesInUse` is thrown,
    /// because removing it would silently destroy posted capacity or planned work.
    public static func update(on connection: PostgresConnection, id: UUID, _ patch: FactoryPatch) throws -> Record? {
        guard try connection.query("SELECT 1 FROM factories WHERE id = $1 FOR UPDATE", id).count == 1 else { return nil }
        guard !patch.isEmpty else { return try find(on: connection, id: id) }
        func change(_ update: FieldUpdate<Double>) -> (Bool, Double?) {
            switch update {
            case .keep: return (false, nil)
            case .set(let value): return (true, value)
            case .clear: return (true, nil)
            }
        }
        let (setLat, lat) = change(patch.lat)
        let (setLon, lon) = change(patch.lon)
        try connection.query("""
            UPDATE factories SET
                name = coalesce($2, name), region = coalesce($3, region),
                lat = CASE WHEN $4 THEN $5 ELSE lat END, lon = CASE WHEN $6 THEN $7 ELSE lon END,
                lead_days = coalesce($8, lead_days), certifications = coalesce($9, certifications),
                active = coalesce($10, active), updated_at = now()
             WHERE id = $1
            """, id, patch.name, patch.region, setLat, lat, setLon, lon, patch.leadDays, patch.certifications, patch.active)
        if let capabilities = patch.capabilities {
            try replaceCapabilities(on: connection, factoryID: id, with: capabilities)
        }
        return try find(on: connection, id: id)
    }

    private static func replaceCapabilities(on connection: PostgresConnection, factoryID: UUID, with capabilities: [CapabilitySetupCost]) throws {
        let keep = capabilities.map(\.capability.code)
        // FOR UPDATE conflicts with the FOR KEY SHARE a capacity upsert takes on the
        // capabilities it writes, so a concurrent upsert either finishes first (and its
        // slots are seen below) or finds the capability gone.
        let removed = try connection.query("""
            SELECT capability FROM factory_capabilities
             WHERE factory_id = $1 AND capability <> ALL($2::text[]) ORDER BY capability FOR UPDATE
            """, factoryID, keep).map { try $0.decode(String.self, 0) }
        if !removed.isEmpty {
            let uses = try connection.query("""
                SELECT capability, count(*), count(*) FILTER (WHERE allocated > 0), min(day), max(day)
                  FROM capacity_slots
                 WHERE factory_id = $1 AND capability = ANY($2::text[]) AND (units > 0 OR allocated > 0)
                 GROUP BY capability ORDER BY capability
                """, factoryID, removed).map { row in
                CapabilitiesInUse.Use(capability: try row.decode(String.self, 0), liveSlots: try row.decode(Int.self, 1),
                                      allocatedSlots: try row.decode(Int.self, 2), firstDay: try row.decode(Day.self, 3),
                                      lastDay: try row.decode(Day.self, 4))
            }
            if !uses.isEmpty { throw CapabilitiesInUse(uses: uses) }
            try connection.query("DELETE FROM capacity_slots WHERE factory_id = $1 AND capability = ANY($2::text[])", factoryID, removed)
            try connection.query("DELETE FROM factory_capabilities WHERE factory_id = $1 AND capability = ANY($2::text[])", factoryID, removed)
        }
        try upsertCapabilities(on: connection, factoryID: factoryID, capabilities)
    }

    private static func upsertCapabilities(on connection: PostgresConnection, factoryID: UUID, _ capabilities: [CapabilitySetupCost]) throws {
        guard !capabilities.isEmpty else { return }
        try connection.query("""
            INSERT INTO factory_capabilities (factory_id, capability, setup_cost, batch_cost, batch_units)
            SELECT $1, t.capability, t.setup_cost, t.batch_cost, nullif(t.batch_units, 0)
              FROM unnest($2::text[], $3::int8[], $4::int8[], $5::int8[]) AS t(capability, setup_cost, batch_cost, batch_units)
            ON CONFLICT (factory_id, capability) DO UPDATE
               SET setup_cost = EXCLUDED.setup_cost, batch_cost = EXCLUDED.batch_cost, batch_units = EXCLUDED.batch_units
             WHERE (factory_capabilities.setup_cost, factory_capabilities.batch_cost, factory_capabilities.batch_units)
                   IS DISTINCT FROM (EXCLUDED.setup_cost, EXCLUDED.batch_cost, EXCLUDED.batch_units)
            """, factoryID, capabilities.map(\.capability.code), capabilities.map(\.setupCost), capabilities.map(\.batchCost),
            capabilities.map { Int64($0.batchUnits ?? 0) })
    }
}
