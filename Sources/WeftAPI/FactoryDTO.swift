import Foundation
import WeftStore

/// A factory as clients see it: the fields of `POST /v1/factories` plus id and timestamps.
/// Written by hand on GET /v1/factories/{id} (OrderDTO+JSON.swift): a new member goes there
/// too (DTOJSONTests fails until it does).
struct FactoryDTO: Encodable, Sendable {
    struct CapabilityDTO: Encodable, Sendable {
        var capability: String
        var setupCost: Int64
        var batchCost: Int64
        /// Null: unlimited.
        var batchUnits: Int?

        enum CodingKeys: String, CodingKey { case capability, setupCost = "setup_cost", batchCost = "batch_cost", batchUnits = "batch_units" }

        // An explicit null for unlimited batches, so the shape is the same either way.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(capability, forKey: .capability)
            try container.encode(setupCost, forKey: .setupCost)
            try container.encode(batchCost, forKey: .batchCost)
            try container.encode(batchUnits, forKey: .batchUnits)
        }
    }

    var id: UUID
    var name: String
    var region: String
    var lat: Double?
    var lon: Double?
    var leadDays: Int
    var certifications: [String]
    var capabilities: [CapabilityDTO]
    var active: Bool
    var createdAt: Date
    var updatedAt: Date

    init(_ record: FactoryRecords.Record) {
        id = record.id
        name = record.name
        region = record.region
        lat = record.lat
        lon = record.lon
        leadDays = record.leadDays
        certifications = record.certifications
        capabilities = record.capabilities.map { CapabilityDTO(capability: $0.capability.code, setupCost: $0.setupCost, batchCost: $0.batchCost, batchUnits: $0.batchUnits) }
        active = record.active
        createdAt = record.createdAt
        updatedAt = record.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, name, region, lat, lon, leadDays = "lead_days", certifications, capabilities, active
        case createdAt = "created_at", updatedAt = "updated_at"
    }

    // Explicit nulls for lat/lon, so the shape is the same whether or not they are set.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(region, forKey: .region)
        try container.encode(lat, forKey: .lat)
        try container.encode(lon, forKey: .lon)
        try container.encode(leadDays, forKey: .leadDays)
        try container.encode(certifications, forKey: .certifications)
        try container.encode(capabilities, forKey: .capabilities)
        try container.encode(active, forKey: .active)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}
