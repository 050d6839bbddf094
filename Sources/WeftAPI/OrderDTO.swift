import Foundation
import WeftCore
import WeftStore

extension Day {
    /// Today in UTC: the `as_of` of instant placement.
    static var today: Day { Day(unixSeconds: Int64(Date().timeIntervalSince1970.rounded(.down))) }
}

/// An allocation as clients see it.
struct AllocationDTO: Codable, Sendable {
    var id: String?
    var orderId: String?
    var factoryId: String
    var capability: String
    var date: Day
    var units: Int
    var unitCost: Int64
    var status: String

    init(_ record: OrderRecords.Allocation, withOrder: Bool = false) {
        id = String(record.id)
        orderId = withOrder ? record.orderID.lowercasedString : nil
        factoryId = record.factoryID.lowercasedString
        capability = record.capability
        date = record.day
        units = record.units
        unitCost = record.unitCost
        status = record.status
    }

    init(factoryID: UUID, capability: String, date: Day, units: Int, unitCost: Int64, status: String) {
        self.factoryId = factoryID.lowercasedString
        self.capability = capability
        self.date = date
        self.units = units
        self.unitCost = unitCost
        self.status = status
    }
}

/// Why an order is short and what would serve it.
struct ShortfallDTO: Codable, Sendable {
    struct LaterDueDate: Codable, Sendable { var dueDate: Day; var servedUnits: Int }
    struct HigherPriceCap: Codable, Sendable { var maxUnitCost: Int64; var servedUnits: Int }
    var units: Int
    var reason: String
    var message: String
    var excludedFactories: [String: Int]
    var laterDueDate: LaterDueDate?
    var higherPriceCap: HigherPriceCap?

    init(_ shortfall: Scheduling.Shortfall) {
        units = shortfall.units
        reason = shortfall.reason.rawValue
        excludedFactories = Dictionary(uniqueKeysWithValues: shortfall.excludedFactories.map { ($0.key.rawValue, $0.value) })
        laterDueDate = shortfall.laterDueDate.map { LaterDueDate(dueDate: $0.dueDate, servedUnits: $0.servedUnits) }
        higherPriceCap = shortfall.higherPriceCap.map { HigherPriceCap(maxUnitCost: $0.maxUnitCost, servedUnits: $0.servedUnits) }
        var text: String
        switch shortfall.reason {
        case .noEligibleSlot: text = "No factory slot meets the order's constraints (capability, region, certifications, price cap, production window)."
        case .capacityFull: text = "The eligible slots have no more free capacity."
        case .splitLimit: text = "More could be made by splitting across more factories than max_factories allows."
        case .minimumLot: text = "The factories with free capacity cannot each make a whole min_lot."
        }
        if let later = laterDueDate { text += " A due date of \(later.dueDate) would serve \(later.servedUnits) units." }
        if let cap = higherPriceCap { text += " A max_unit_cost of \(cap.maxUnitCost) would serve \(cap.servedUnits) units." }
        message = text
    }
}

/// An order with its allocations: the answer to submit, get and cancel.
/// Written by hand on the hot routes (OrderDTO+JSON.swift): a new member goes there too
/// (DTOJSONTests fails until it does).
struct OrderDTO: Codable, Sendable {
    var id: String
    var brokerId: String
    var status: String
    var capability: String
    var quantity: Int
    var allocatedUnits: Int
    var dueDate: Day
    var releaseDate: Day
    var maxUnitCost: Int64?
    var regions: [String]
    var certifications: [String]
    var minLot: Int
    var maxFactories: Int
    var priority: Int
    var reference: String?
    var pool: String?
    var unscheduledReason: String?
    var cost: Int64
    var shortfall: ShortfallDTO?
    var allocations: [AllocationDTO]
    var createdAt: Date
    var updatedAt: Date
    var cancelledAt: Date?

    /// - Parameter cost: the order's own cost (``OrderCostRecords``): units, setups and batch shares.
    init(_ order: OrderRecords.Order, allocations: [OrderRecords.Allocation], cost: Int64, shortfall: Scheduling.Shortfall? = nil) {
        id = order.id.lowercasedString
        brokerId = order.brokerID.lowercasedString
        status = order.status
        capability = order.capability
        quantity = order.quantity
        allocatedUnits = order.allocatedUnits
        dueDate = order.dueDate
        releaseDate = order.releaseDate
        maxUnitCost = order.maxUnitCost
        regions = order.regions
        certifications = order.certifications
        minLot = order.minLot
        maxFactories = order.maxFactories
        priority = order.priority
        reference = order.reference
        pool = order.pool
        unscheduledReason = order.unscheduledReason
        self.shortfall = shortfall.map(ShortfallDTO.init)
        self.allocations = allocations.map { AllocationDTO($0) }
        self.cost = cost
        createdAt = order.createdAt
        updatedAt = order.updatedAt
        cancelledAt = order.cancelledAt
    }
}

extension UUID {
    /// Ids are lowercase UUID strings on the wire.
    var lowercasedString: String { uuidString.lowercased() }
}
