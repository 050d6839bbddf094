import Foundation
import WeftStore

/// An API key as admins see it. `secret` is present only in the answer to its creation.
struct APIKeyDTO: Encodable, Sendable {
    var id: UUID
    var role: String
    var factoryID: UUID?
    var brokerID: UUID?
    var label: String?
    var prefix: String
    var createdAt: Date
    var revokedAt: Date?
    var secret: String?

    init(_ record: APIKeyRecords.Record, secret: String? = nil) {
        id = record.id
        role = record.role
        factoryID = record.factoryID
        brokerID = record.brokerID
        label = record.label
        prefix = record.prefix
        createdAt = record.createdAt
        revokedAt = record.revokedAt
        self.secret = secret
    }

    enum CodingKeys: String, CodingKey {
        case id, role, factoryID = "factory_id", brokerID = "broker_id", label, prefix, createdAt = "created_at", revokedAt = "revoked_at", secret
    }

    // Explicit nulls: clients see every field of the shape whether or not it is set.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(role, forKey: .role)
        try container.encode(factoryID?.uuidString.lowercased(), forKey: .factoryID)
        try container.encode(brokerID?.uuidString.lowercased(), forKey: .brokerID)
        try container.encode(label, forKey: .label)
        try container.encode(prefix, forKey: .prefix)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(revokedAt, forKey: .revokedAt)
        try container.encodeIfPresent(secret, forKey: .secret)
    }
}

/// A broker: `{"id","name","created_at"}`.
struct BrokerDTO: Encodable, Sendable {
    var id: String
    var name: String
    var createdAt: Date

    init(_ record: BrokerRecords.Record) {
        id = record.id.uuidString.lowercased()
        name = record.name
        createdAt = record.createdAt
    }
}
