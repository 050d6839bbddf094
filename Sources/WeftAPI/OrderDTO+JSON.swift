import Foundation
import WeftHTTP

extension OrderDTO {
    /// The body ``JSON/encoder`` writes for this order, written directly (``JSONBytes``; tests
    /// compare the two) unless it carries a shortfall, which is rare and left to the encoder.
    func encoded() throws -> [UInt8] {
        guard shortfall == nil else { return Array(try JSON.encoder.encode(self)) }
        var json = JSONBytes(capacity: 640 + allocations.count * 200)
        json.beginObject()
        json.key("allocated_units"); json.integer(allocatedUnits)
        json.key("allocations")
        json.beginArray()
        for allocation in allocations { allocation.write(to: &json) }
        json.endArray()
        json.key("broker_id"); json.string(brokerId)
        if let cancelledAt { json.key("cancelled_at"); json.date(cancelledAt) }
        json.key("capability"); json.string(capability)
        json.key("certifications"); json.strings(certifications)
        json.key("cost"); json.integer(cost)
        json.key("created_at"); json.date(createdAt)
        json.key("due_date"); json.string(dueDate.iso)
        json.key("id"); json.string(id)
        json.key("max_factories"); json.integer(maxFactories)
        if let maxUnitCost { json.key("max_unit_cost"); json.integer(maxUnitCost) }
        json.key("min_lot"); json.integer(minLot)
        if let pool { json.key("pool"); json.string(pool) }
        json.key("priority"); json.integer(priority)
        json.key("quantity"); json.integer(quantity)
        if let reference { json.key("reference"); json.string(reference) }
        json.key("regions"); json.strings(regions)
        json.key("release_date"); json.string(releaseDate.iso)
        json.key("status"); json.string(status)
        if let unscheduledReason { json.key("unscheduled_reason"); json.string(unscheduledReason) }
        json.key("updated_at"); json.date(updatedAt)
        json.endObject()
        return json.bytes
    }
}

extension AllocationDTO {
    func write(to json: inout JSONBytes) {
        json.beginObject()
        json.key("capability"); json.string(capability)
        json.key("date"); json.string(date.iso)
        json.key("factory_id"); json.string(factoryId)
        if let id { json.key("id"); json.string(id) }
        if let orderId { json.key("order_id"); json.string(orderId) }
        json.key("status"); json.string(status)
        json.key("unit_cost"); json.integer(unitCost)
        json.key("units"); json.integer(units)
        json.endObject()
    }
}

extension FactoryDTO {
    /// The body ``JSON/encoder`` writes for this factory, written directly (``JSONBytes``).
    func encoded() -> [UInt8] {
        var json = JSONBytes(capacity: 384 + capabilities.count * 96)
        json.beginObject()
        json.key("active"); json.bool(active)
        json.key("capabilities")
        json.beginArray()
        for capability in capabilities {
            json.beginObject()
            json.key("batch_cost"); json.integer(capability.batchCost)
            json.key("batch_units")
            if let units = capability.batchUnits { json.integer(units) } else { json.null() }
            json.key("capability"); json.string(capability.capability)
            json.key("setup_cost"); json.integer(capability.setupCost)
            json.endObject()
        }
        json.endArray()
        json.key("certifications"); json.strings(certifications)
        json.key("created_at"); json.date(createdAt)
        json.key("id"); json.string(id.uuidString.lowercased())
        json.key("lat")
        if let lat { json.double(lat) } else { json.null() }
        json.key("lead_days"); json.integer(leadDays)
        json.key("lon")
        if let lon { json.double(lon) } else { json.null() }
        json.key("name"); json.string(name)
        json.key("region"); json.string(region)
        json.key("updated_at"); json.date(updatedAt)
        json.endObject()
        return json.bytes
    }
}
