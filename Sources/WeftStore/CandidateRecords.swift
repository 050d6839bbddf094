import Foundation
import WeftCore

/// Loads what placement and explain need for one capability: factories and their slots with
/// free units, shaped as core's scheduling model (indices instead of ids).
public enum CandidateRecords {
    /// Factories and slots of one capability, with the database ids behind each index.
    public struct Candidates: Sendable {
        public var factories: [Scheduling.Factory] = []
        public var factoryIDs: [UUID] = []
        public var slots: [Scheduling.Slot] = []
        public var slotIDs: [Int64] = []
        /// Free units (units − allocated) of each slot when read.
        public var free: [Int] = []

        private var lastFactory: Int?

        public init() {}

        mutating func add(_ row: PostgresRow, previous: PostgresRow?, factoryIndex: inout [UUID: Int]) throws {
            let index: Int
            if let previous, previous.sameValue(1, as: row), let last = lastFactory {
                // Rows come sorted by factory: most rows repeat the previous one's factory.
                index = last
            } else if let known = factoryIndex[try row.decode(UUID.self, 1)] {
                index = known
            } else {
                let factoryID = try row.decode(UUID.self, 1)
                index = factories.count
                factoryIndex[factoryID] = index
                factoryIDs.append(factoryID)
                factories.append(Scheduling.Factory(
                    id: factoryID.uuidString.lowercased(), active: try row.decode(Bool.self, 8), region: try row.decode(String.self, 6),
                    certifications: Set(try row.decode([String].self, 7)), leadDays: try row.decode(Int.self, 5),
                    setupCost: try row.decode(Int64.self, 9), batchCost: try row.decode(Int64.self, 11), batchUnits: try row.decode(Int?.self, 12)))
            }
            lastFactory = index
            guard !row.isNull(0) else { return } // a factory with no slot in range
            let slotID = try row.decode(Int64.self, 0)
            let units = try row.decode(Int.self, 10)
            slotIDs.append(slotID)
            slots.append(Scheduling.Slot(id: String(slotID), factory: index, day: try row.decode(Day.self, 2),
                                         units: units, unitCost: try row.decode(Int64.self, 4)))
            free.append(try row.decode(Int.self, 3))
        }
    }

    static let columns = """
        s.id, f.id, s.day, (s.units - s.allocated), s.unit_cost, f.lead_days, f.region, f.certifications, f.active, fc.setup_cost, s.units,
        fc.batch_cost, fc.batch_units
        """

    /// Slots that pass every slot-level eligibility rule for the order and have free units:
    /// the filtering happens in SQL so a placement reads only what it may use. Per factory
    /// without a batch cost only the cheapest slots whose free units add up to `quantity` are
    /// returned: no plan puts more than `quantity` units in one factory, and such a factory's
    /// cheapest units are always the ones to use, so the rest cannot matter (and reading them
    /// cost ten times more).
    public static func eligible(on connection: PostgresConnection, capability: String, from: Day, due: Day,
                                maxUnitCost: Int64?, regions: [String], certifications: [String], quantity: Int) throws -> Candidates {
        let rows = try connection.query("""
            SELECT slot_id, factory_id, day, free, unit_cost, lead_days, region, certifications, active, setup_cost, units,
                   batch_cost, batch_units FROM (
                SELECT s.id AS slot_id, f.id AS factory_id, s.day, (s.units - s.allocated) AS free, s.unit_cost, f.lead_days,
                       f.region, f.certifications, f.active, fc.setup_cost, s.units, fc.batch_cost, fc.batch_units,
                       -- int4 sums are bigint (numeric for int8 sums is several times slower); units fit in int4.
                       sum((s.units - s.allocated)::int4) OVER (PARTITION BY s.factory_id ORDER BY s.unit_cost, s.day, s.id
                                                              ROWS UNBOUNDED PRECEDING) AS running
                  FROM capacity_slots s
                  JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
                  JOIN factories f ON f.id = s.factory_id
                 WHERE s.capability = $1 AND s.day >= $2 AND s.day <= $3 AND s.day + f.lead_days <= $3
                   AND s.units > s.allocated AND f.active
                   AND ($4::int8 IS NULL OR s.unit_cost <= $4)
                   AND (cardinality($5::text[]) = 0 OR f.region = ANY($5))
                   AND f.certifications @> $6::text[]
            ) c
             -- With a batch cost, fewer slots can beat cheaper units (and an open batch of the
             -- order's pool costs nothing more): every eligible slot of such a factory counts.
             WHERE running - free < $7 OR batch_cost > 0
             ORDER BY factory_id, day, slot_id
            """, capability, from, due, maxUnitCost, regions, certifications, Int64(quantity))
        var candidates = Candidates()
        var index: [UUID: Int] = [:]
        var previous: PostgresRow?
        for row in rows {
            try candidates.add(row, previous: previous, factoryIndex: &index)
            previous = row
        }
        return candidates
    }

    /// Every factory offering the capability (active or not) and all its slots between two
    /// days, free or full: what explain and the "what would serve it" advice look at.
    public static func all(on connection: PostgresConnection, capability: String, from: Day, to: Day) throws -> Candidates {
        let rows = try connection.query("""
            SELECT \(columns)
              FROM factory_capabilities fc
              JOIN factories f ON f.id = fc.factory_id
              LEFT JOIN capacity_slots s ON s.factory_id = fc.factory_id AND s.capability = fc.capability AND s.day BETWEEN $2 AND $3
             WHERE fc.capability = $1
             ORDER BY f.id, s.day, s.id
            """, capability, from, to)
        var candidates = Candidates()
        var index: [UUID: Int] = [:]
        var previous: PostgresRow?
        for row in rows {
            try candidates.add(row, previous: previous, factoryIndex: &index)
            previous = row
        }
        return candidates
    }

    /// Free units of the given slots, locked in id order so that concurrent writers queue
    /// in one order; the caller then checks that its plan still fits.
    public static func lockFree(on connection: PostgresConnection, slotIDs: [Int64]) throws -> [Int64: Int] {
        var free: [Int64: Int] = [:]
        for row in try connection.query("SELECT id, units - allocated FROM capacity_slots WHERE id = ANY($1) ORDER BY id FOR UPDATE", slotIDs.sorted()) {
            free[try row.decode(Int64.self, 0)] = try row.decode(Int.self, 1)
        }
        return free
    }
}

extension CandidateRecords {
    /// Adds the given slots (with their factories) to `candidates` unless already there; used
    /// for the slots an order already holds, which eligible() skips once they are full.
    public static func include(on connection: PostgresConnection, slotIDs: [Int64], into candidates: inout Candidates) throws {
        let known = Set(candidates.slotIDs)
        let missing = Array(Set(slotIDs).subtracting(known))
        guard !missing.isEmpty else { return }
        var index = Dictionary(uniqueKeysWithValues: candidates.factoryIDs.enumerated().map { ($1, $0) })
        let rows = try connection.query("""
            SELECT \(columns)
              FROM capacity_slots s
              JOIN factory_capabilities fc ON fc.factory_id = s.factory_id AND fc.capability = s.capability
              JOIN factories f ON f.id = s.factory_id
             WHERE s.id = ANY($1) ORDER BY s.id
            """, missing)
        var previous: PostgresRow?
        for row in rows {
            try candidates.add(row, previous: previous, factoryIndex: &index)
            previous = row
        }
    }
}
