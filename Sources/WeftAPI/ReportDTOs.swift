import Foundation
import WeftCore
import WeftStore

/// Capacity, allocated and free units of one group, and their ratio.
struct UtilizationFigures: Encodable, Sendable {
    var factories: Int
    var slots: Int
    var capacity: Int64
    var allocated: Int64
    var free: Int64
    var utilization: Double?
    /// Production batches: Σ over (slot, pool group) of ⌈units / batch_units⌉ (1 when unlimited).
    var batches: Int64
    /// Units ÷ room of the batches of limited size, 0...1; null when there are none.
    var meanFill: Double?

    init(_ row: ReportRecords.UtilizationRow, batches: ReportRecords.BatchFigures?) {
        factories = row.factories
        slots = row.slots
        capacity = row.capacity
        allocated = row.allocated
        free = row.capacity - row.allocated
        utilization = share(row.allocated, of: row.capacity)
        self.batches = batches?.batches ?? 0
        meanFill = batches?.meanFill
    }

    enum CodingKeys: String, CodingKey { case factories, slots, capacity, allocated, free, utilization, batches, meanFill = "mean_fill" }

    /// Written by hand so that an undefined utilisation (no capacity) is an explicit null.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(factories, forKey: .factories)
        try container.encode(slots, forKey: .slots)
        try container.encode(capacity, forKey: .capacity)
        try container.encode(allocated, forKey: .allocated)
        try container.encode(free, forKey: .free)
        try container.encode(utilization, forKey: .utilization)
        try container.encode(batches, forKey: .batches)
        try container.encode(meanFill, forKey: .meanFill)
    }
}

/// `GET /v1/reports/utilization`.
struct UtilizationReport: Encodable, Sendable {
    struct Row: Encodable, Sendable {
        var factoryId: String?
        var factoryName: String?
        var region: String?
        var active: Bool?
        var capability: String?
        var date: Day?
        var figures: UtilizationFigures

        init(_ row: ReportRecords.UtilizationRow, batches: [String: ReportRecords.BatchFigures]) {
            factoryId = row.factoryID?.lowercasedString
            factoryName = row.factoryName
            region = row.region
            active = row.active
            capability = row.capability
            date = row.day
            // Batch figures are keyed like the group (see ReportRecords.batchFigures).
            let key = factoryId ?? capability ?? date?.iso ?? ""
            figures = UtilizationFigures(row, batches: batches[key])
        }

        enum CodingKeys: String, CodingKey { case factoryId = "factory_id", factoryName = "factory_name", region, active, capability, date }

        /// The group's key fields, then its figures, flat in one object.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(factoryId, forKey: .factoryId)
            try container.encodeIfPresent(factoryName, forKey: .factoryName)
            try container.encodeIfPresent(region, forKey: .region)
            try container.encodeIfPresent(active, forKey: .active)
            try container.encodeIfPresent(capability, forKey: .capability)
            try container.encodeIfPresent(date, forKey: .date)
            try figures.encode(to: encoder)
        }
    }

    var groupBy: String
    var from: Day
    var to: Day
    var capability: String?
    var region: String?
    var totals: UtilizationFigures
    var rows: [Row]

    init(query: ReportRoutes.UtilizationQuery, rows: [ReportRecords.UtilizationRow], totals: ReportRecords.UtilizationRow,
         batches: [String: ReportRecords.BatchFigures]) {
        groupBy = query.grouping.rawValue
        from = query.filter.from
        to = query.filter.to
        capability = query.filter.capability
        region = query.filter.region
        self.totals = UtilizationFigures(totals, batches: batches[""])
        self.rows = rows.map { Row($0, batches: batches) }
    }

    var csv: CSVWriter {
        let figures = ["factories", "slots", "capacity", "allocated", "free", "utilization", "batches", "mean_fill"]
        let keys: [String]
        switch groupBy {
        case "factory": keys = ["factory_id", "factory_name", "region", "active"]
        case "capability": keys = ["capability"]
        default: keys = ["date"]
        }
        var writer = CSVWriter(header: keys + figures)
        for row in rows {
            let key: [CSVCell]
            switch groupBy {
            case "factory": key = [.text(row.factoryId), .text(row.factoryName), .text(row.region), .text(row.active.map { String($0) })]
            case "capability": key = [.text(row.capability)]
            default: key = [.text(row.date?.iso)]
            }
            let f = row.figures
            writer.row(key + [.number(f.factories), .number(f.slots), .number(f.capacity), .number(f.allocated), .number(f.free), .number(f.utilization),
                                .number(f.batches), .number(f.meanFill)])
        }
        return writer
    }
}

/// `GET /v1/reports/orders`.
struct OrdersReport: Encodable, Sendable {
    struct StatusCount: Encodable, Sendable { var status: String; var orders: Int; var quantity: Int64; var allocatedUnits: Int64 }
    struct Units: Encodable, Sendable { var ordered: Int64; var served: Int64; var unserved: Int64 }
    struct Reason: Encodable, Sendable { var reason: String; var description: String; var orders: Int; var units: Int64 }
    struct Split: Encodable, Sendable { var factories: Int; var orders: Int }
    struct Cost: Encodable, Sendable {
        var capability: String
        var orders: Int
        var units: Int64
        var unitCostTotal: Int64
        var setupCostTotal: Int64
        /// The orders' shares of their batches' cost (see ``Pooling``).
        var batchCostTotal: Int64
        var totalCost: Int64
        var averageUnitCost: Int64?
        var averageCostPerUnit: Int64?
    }
    /// Punctuality of the open orders: on time (fully planned, every unit arriving by the due
    /// date), late (fully planned, some units arriving after it) or short (not fully planned).
    struct OnTime: Encodable, Sendable {
        var orders: Int
        var ordersOnTime: Int
        var ordersLate: Int
        var ordersShort: Int
        var share: Double?
    }
    /// What pooling saved: the batch cost the orders pay (their shares of shared batches)
    /// against what the same allocations would cost with every order in batches of its own.
    struct Pooling: Encodable, Sendable {
        var capability: String?
        var batchCostPaid: Int64
        var batchCostAlone: Int64
        var saved: Int64
    }
    struct Filters: Encodable, Sendable { var capability: String?; var brokerId: String?; var dueFrom: Day?; var dueTo: Day? }

    var filters: Filters
    var byStatus: [StatusCount]
    var units: Units
    var unservedByReason: [Reason]
    var factoriesPerOrder: [Split]
    var costByCapability: [Cost]
    /// Over every capability, then per capability with batch costs.
    var pooling: Pooling
    var poolingByCapability: [Pooling]
    var onTime: OnTime

    /// What each reason code means, for people reading the report.
    static let reasonDescriptions: [String: String] = [
        "no_eligible_slot": "No factory slot meets the order's constraints (capability, region, certifications, price cap, production window).",
        "capacity_full": "The eligible slots have no more free capacity.",
        "split_limit": "More could be made by splitting across more factories than max_factories allows.",
        "minimum_lot": "The factories with free capacity cannot each make a whole min_lot.",
        "displaced": "A factory lowered its capacity and the order could not be fully re-placed.",
        "not_placed": "Not placed yet; the next schedule run will try.",
    ]

    init(filter: ReportRecords.OrderFilter, groups: [ReportRecords.StatusGroup], figures: ReportRecords.AllocationFigures,
         pooling: [String: (paid: Int64, alone: Int64)]) {
        filters = Filters(capability: filter.capability, brokerId: filter.brokerID?.lowercasedString, dueFrom: filter.dueFrom, dueTo: filter.dueTo)
        byStatus = OrderRoutes.statuses.map { status in
            let matching = groups.filter { $0.status == status }
            return StatusCount(status: status, orders: matching.reduce(0) { $0 + $1.orders },
                               quantity: matching.reduce(0) { $0 + $1.quantity }, allocatedUnits: matching.reduce(0) { $0 + $1.allocatedUnits })
        }
        let open = groups.filter { $0.status != "cancelled" }
        let ordered = open.reduce(0) { $0 + $1.quantity }, served = open.reduce(0) { $0 + $1.allocatedUnits }
        units = Units(ordered: ordered, served: served, unserved: ordered - served)
        var reasons: [String: Reason] = [:]
        for group in groups {
            guard let code = group.reason else { continue }
            let description = Self.reasonDescriptions[code] ?? group.example ?? "Another reason."
            reasons[code, default: Reason(reason: code, description: description, orders: 0, units: 0)].orders += group.orders
            reasons[code]!.units += group.quantity - group.allocatedUnits
        }
        unservedByReason = reasons.values.sorted { ($0.units, $1.reason) > ($1.units, $0.reason) }
        let openOrders = open.reduce(0) { $0 + $1.orders }
        let withAllocations = figures.factoriesPerOrder.reduce(0) { $0 + $1.orders }
        factoriesPerOrder = (openOrders > withAllocations ? [Split(factories: 0, orders: openOrders - withAllocations)] : [])
            + figures.factoriesPerOrder.map { Split(factories: $0.factories, orders: $0.orders) }
        costByCapability = figures.costs.map { cost in
            let batch = pooling[cost.capability]?.paid ?? 0
            return Cost(capability: cost.capability, orders: cost.orders, units: cost.units, unitCostTotal: cost.unitCost,
                        setupCostTotal: cost.setupCost, batchCostTotal: batch, totalCost: cost.unitCost + cost.setupCost + batch,
                        averageUnitCost: perUnit(cost.unitCost, cost.units),
                        averageCostPerUnit: perUnit(cost.unitCost + cost.setupCost + batch, cost.units))
        }
        poolingByCapability = pooling.keys.sorted().map { capability in
            let figures = pooling[capability]!
            return Pooling(capability: capability, batchCostPaid: figures.paid, batchCostAlone: figures.alone, saved: figures.alone - figures.paid)
        }
        let paid = pooling.values.reduce(0) { $0 + $1.paid }, alone = pooling.values.reduce(0) { $0 + $1.alone }
        self.pooling = Pooling(capability: nil, batchCostPaid: paid, batchCostAlone: alone, saved: alone - paid)
        onTime = OnTime(orders: openOrders, ordersOnTime: figures.ordersOnTime, ordersLate: figures.ordersFullyPlanned - figures.ordersOnTime,
                        ordersShort: openOrders - figures.ordersFullyPlanned, share: share(Int64(figures.ordersOnTime), of: Int64(openOrders)))
    }

    /// One tidy table, `section,key,metric,value`, so every section fits under one header
    /// and a spreadsheet pivot rebuilds any view of it.
    var csv: CSVWriter {
        var writer = CSVWriter(header: ["section", "key", "metric", "value"])
        for status in byStatus {
            writer.row(["status", .text(status.status), "orders", .number(status.orders)])
            writer.row(["status", .text(status.status), "quantity", .number(status.quantity)])
            writer.row(["status", .text(status.status), "allocated_units", .number(status.allocatedUnits)])
        }
        writer.row(["units", "", "ordered", .number(units.ordered)])
        writer.row(["units", "", "served", .number(units.served)])
        writer.row(["units", "", "unserved", .number(units.unserved)])
        for reason in unservedByReason {
            writer.row(["unserved_reason", .text(reason.reason), "orders", .number(reason.orders)])
            writer.row(["unserved_reason", .text(reason.reason), "units", .number(reason.units)])
            // A reason Weft does not classify is reported by its stored text: text, not a number.
            writer.row(["unserved_reason", .text(reason.reason), "description", .text(reason.description)])
        }
        for split in factoriesPerOrder {
            writer.row(["factories_per_order", .number(split.factories), "orders", .number(split.orders)])
        }
        for cost in costByCapability {
            let metrics: [(String, CSVCell)] = [
                ("orders", .number(cost.orders)), ("units", .number(cost.units)), ("unit_cost_total", .number(cost.unitCostTotal)),
                ("setup_cost_total", .number(cost.setupCostTotal)), ("batch_cost_total", .number(cost.batchCostTotal)),
                ("total_cost", .number(cost.totalCost)),
                ("average_unit_cost", .number(cost.averageUnitCost)), ("average_cost_per_unit", .number(cost.averageCostPerUnit)),
            ]
            for (metric, value) in metrics { writer.row(["cost", .text(cost.capability), .text(metric), value]) }
        }
        for item in [pooling] + poolingByCapability {
            writer.row(["pooling", .text(item.capability ?? ""), "batch_cost_paid", .number(item.batchCostPaid)])
            writer.row(["pooling", .text(item.capability ?? ""), "batch_cost_alone", .number(item.batchCostAlone)])
            writer.row(["pooling", .text(item.capability ?? ""), "saved", .number(item.saved)])
        }
        let punctuality: [(String, CSVCell)] = [
            ("orders", .number(onTime.orders)), ("orders_on_time", .number(onTime.ordersOnTime)), ("orders_late", .number(onTime.ordersLate)),
            ("orders_short", .number(onTime.ordersShort)), ("share", .number(onTime.share)),
        ]
        for (metric, value) in punctuality { writer.row(["on_time", "", .text(metric), value]) }
        return writer
    }
}
