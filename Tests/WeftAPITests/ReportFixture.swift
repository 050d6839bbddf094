import Foundation
import WeftCore
import WeftStore

/// A small network with orders and allocations written straight to the database, so that
/// every report figure can be worked out by hand (see the comments for the sums).
///
/// Factories (today = T):
/// - "Alpha, "Quoted" Ltd" CN-GD, lead 1, pcb.fab, setup 1000: T+1 100 @10, T+2 100 @10, T+3 50 @12
/// - "Beta\nNewline Ünïcødé 工厂" VN-SG, lead 3, pcb.fab, setup 500: T+1 200 @8, T+2 0 @8
/// - "Gamma" VN-SG, lead 0, sewing, setup 200: T+1 80 @5, T+5 40 @5
///
/// Orders:
/// - O1 pcb.fab 150 due T+5 scheduled: Alpha T+1 100 @10, Beta T+1 50 @8 (both arrive by T+4)
/// - O2 pcb.fab 100 due T+3 partial 60 (capacity_full): Alpha T+2 40 @10 (on time), Beta T+1 20 @8 (arrives T+4: late)
/// - O3 sewing 30 due T (today) scheduled: Gamma T+1 30 @5, which arrives a day late
/// - O4 sewing 25 due T+2 unscheduled (no_eligible_slot)
/// - O5 pcb.fab 10 cancelled
/// - O6 pcb.fab 7 unscheduled without a stored reason (not_placed)
struct ReportFixture {
    static let alpha = "Alpha, \"Quoted\" Ltd"
    static let beta = "Beta\nNewline Ünïcødé 工厂"
    static let gamma = "Gamma"

    var network: NetworkFixture
    var orders: [String: UUID] = [:]

    static var today: Day { NetworkFixture.today }

    static func seed(_ pool: PostgresPool) async throws -> ReportFixture {
        let (network, _) = try await NetworkFixture.seed(pool, [
            .init(name: alpha, region: "CN-GD", leadDays: 1, setupCost: 1000, slots: [(1, 100, 10), (2, 100, 10), (3, 50, 12)]),
            .init(name: beta, region: "VN-SG", leadDays: 3, setupCost: 500, slots: [(1, 200, 8), (2, 0, 8)]),
            .init(name: gamma, region: "VN-SG", capability: "sewing", setupCost: 200, slots: [(1, 80, 5), (5, 40, 5)]),
        ])
        let ids = network.factoryIDs
        let broker = network.brokerID
        let orders = try await pool.transaction { connection -> [String: UUID] in
            func slot(_ factory: String, _ offset: Int) throws -> Int64 {
                try connection.query("SELECT id FROM capacity_slots WHERE factory_id = $1 AND day = $2",
                                     ids[factory]!, today.adding(days: offset))[0].decode(Int64.self, 0)
            }
            func order(_ capability: String, _ quantity: Int, due: Int, status: String, allocated: Int, reason: String?) throws -> UUID {
                try connection.query("""
                    INSERT INTO orders (broker_id, capability, quantity, due_date, release_date, status, allocated_units, unscheduled_reason)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id
                    """, broker, capability, quantity, today.adding(days: due), today, status, allocated, reason)[0].decode(UUID.self, 0)
            }
            func allocate(_ order: UUID, _ slotID: Int64, _ units: Int, _ cost: Int64) throws {
                try connection.query("INSERT INTO allocations (order_id, slot_id, units, unit_cost) VALUES ($1, $2, $3, $4)", order, slotID, units, cost)
            }
            let o1 = try order("pcb.fab", 150, due: 5, status: "scheduled", allocated: 150, reason: nil)
            try allocate(o1, try slot(alpha, 1), 100, 10)
            try allocate(o1, try slot(beta, 1), 50, 8)
            let o2 = try order("pcb.fab", 100, due: 3, status: "partial", allocated: 60,
                               reason: "The eligible slots have no more free capacity. A due date of 2030-01-01 would serve 100 units.")
            try allocate(o2, try slot(alpha, 2), 40, 10)
            try allocate(o2, try slot(beta, 1), 20, 8)
            let o3 = try order("sewing", 30, due: 0, status: "scheduled", allocated: 30, reason: nil)
            try allocate(o3, try slot(gamma, 1), 30, 5)
            let o4 = try order("sewing", 25, due: 2, status: "unscheduled", allocated: 0,
                               reason: "No factory slot meets the order's constraints (capability, region, certifications, price cap, production window).")
            let o5 = try order("pcb.fab", 10, due: 4, status: "cancelled", allocated: 0, reason: nil)
            let o6 = try order("pcb.fab", 7, due: 4, status: "unscheduled", allocated: 0, reason: nil)
            return ["O1": o1, "O2": o2, "O3": o3, "O4": o4, "O5": o5, "O6": o6]
        }
        return ReportFixture(network: network, orders: orders)
    }
}

/// Parses RFC 4180 CSV (quoted fields with doubled quotes and line breaks inside, CRLF
/// records), so tests read CSV the way a spreadsheet would.
func parseCSV(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var characters = Array(text.unicodeScalars)[...]
    while let c = characters.popFirst() {
        if quoted {
            if c == "\"" {
                if characters.first == "\"" { field.unicodeScalars.append("\""); characters.removeFirst() } else { quoted = false }
            } else {
                field.unicodeScalars.append(c)
            }
        } else if c == "\"" {
            quoted = true
        } else if c == "," {
            row.append(field); field = ""
        } else if c == "\r", characters.first == "\n" {
            characters.removeFirst()
            row.append(field); field = ""
            rows.append(row); row = []
        } else {
            field.unicodeScalars.append(c)
        }
    }
    if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
    return rows
}
