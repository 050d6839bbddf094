import Foundation

/// Where a keyset-paginated list resumes: strictly after this (created_at, id).
public struct ListPosition: Sendable, Equatable {
    public var createdAt: Date
    public var id: UUID

    public init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }
}

/// A WHERE clause assembled from optional conditions. Only fixed SQL fragments are joined;
/// every value travels as a numbered parameter.
struct SQLFilter {
    private(set) var conditions: [String] = []
    private(set) var binds: [any PostgresEncodable] = []

    /// The placeholder for the next parameter: `$1`, `$2`, ...
    var next: String { "$\(binds.count + 1)" }

    /// Adds `condition`, in which `?` stands for the parameter `value`.
    mutating func add(_ condition: String, _ value: any PostgresEncodable) {
        conditions.append(condition.replacingOccurrences(of: "?", with: next))
        binds.append(value)
    }

    /// Keyset pagination on (created_at, id), matching the `*_created` indexes.
    mutating func after(_ position: ListPosition?) {
        guard let position else { return }
        conditions.append("(created_at, id) > ($\(binds.count + 1), $\(binds.count + 2))")
        binds.append(position.createdAt)
        binds.append(position.id)
    }

    var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
}

/// SQL for the `brokers` aggregate.
public enum BrokerRecords {
    /// A stored broker.
    public struct Record: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var createdAt: Date
    }

    static let columns = "id, name, created_at"

    static func record(_ row: PostgresRow) throws -> Record {
        Record(id: try row.decode(UUID.self, 0), name: try row.decode(String.self, 1), createdAt: try row.decode(Date.self, 2))
    }

    /// Stores a new broker.
    public static func insert(on connection: PostgresConnection, name: String) throws -> Record {
        try record(connection.query("INSERT INTO brokers (name) VALUES ($1) RETURNING \(columns)", name)[0])
    }

    /// Up to `limit` brokers in creation order, starting after `after`.
    public static func list(on connection: PostgresConnection, after: ListPosition?, limit: Int) throws -> [Record] {
        var filter = SQLFilter()
        filter.after(after)
        return try connection.query("SELECT \(columns) FROM brokers \(filter.whereClause) ORDER BY created_at, id LIMIT \(filter.next)",
                                    binds: filter.binds + [limit]).map(record)
    }
}
