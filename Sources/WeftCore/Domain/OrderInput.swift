/// Limits and defaults of orders.
public enum OrderLimits {
    /// `quantity`, and the range of `min_lot` before comparing it with the quantity.
    public static let quantity = 1...1_000_000
    /// `max_factories`.
    public static let maxFactories = 1...64
    /// `priority`.
    public static let priority = 1...5
    /// `min_lot` when absent.
    public static let defaultMinLot = 1
    /// `max_factories` when absent.
    public static let defaultMaxFactories = 8
    /// `priority` when absent.
    public static let defaultPriority = 3
    /// Entries in `regions`.
    public static let maxRegions = 32
    /// Entries in `certifications`.
    public static let maxCertifications = 32
    /// `reference`, characters.
    public static let referenceLength = 0...200
}

/// The body of `POST /v1/orders` and `POST /v1/quotes`.
///
/// Required: `capability`, `quantity` (1..1,000,000), `due_date`.
/// Optional: `release_date` (≤ `due_date`; the API defaults it to today), `max_unit_cost`
/// (money), `regions` and `certifications` (distinct codes, at most 32 each), `min_lot`
/// (1..`quantity`, default 1), `max_factories` (1..64, default 8), `priority` (1..5,
/// default 3), `reference` (up to 200 characters; "" = none), `pool` (a pool code: orders of the
/// capability with the same pool share production batches; absent or null = none), `broker_id` (admins ordering
/// on a broker's behalf; whether that is allowed is the API layer's call). Defaults are
/// filled in here so stored orders and quotes never disagree about them.
public struct OrderInput: BodyInput, Equatable {
    /// `capability`.
    public var capability: Capability
    /// `quantity`.
    public var quantity: Int
    /// `due_date`: the day goods must reach the broker.
    public var dueDate: Day
    /// Nil when not given: production may start on the day the order is created.
    public var releaseDate: Day?
    /// `max_unit_cost`, money; nil = no cap.
    public var maxUnitCost: Int64?
    /// Allowed factory regions; empty = any.
    public var regions: [String]
    /// Certifications every factory used must hold; empty = none required.
    public var certifications: [String]
    /// `min_lot`, defaulted, ≤ `quantity`.
    public var minLot: Int
    /// `max_factories`, defaulted.
    public var maxFactories: Int
    /// `priority`, defaulted.
    public var priority: Int
    /// `reference`, nil when absent or empty.
    public var reference: String?
    /// `pool`: orders of one capability and one pool can share batches; nil = batches of its own.
    public var pool: String?
    /// `broker_id`: the broker an admin orders for.
    public var brokerID: EntityID?

    /// An order body with these values; the defaults are the API's.
    public init(capability: Capability, quantity: Int, dueDate: Day, releaseDate: Day? = nil, maxUnitCost: Int64? = nil,
                regions: [String] = [], certifications: [String] = [], minLot: Int = OrderLimits.defaultMinLot,
                maxFactories: Int = OrderLimits.defaultMaxFactories, priority: Int = OrderLimits.defaultPriority,
                reference: String? = nil, pool: String? = nil, brokerID: EntityID? = nil) {
        self.capability = capability
        self.quantity = quantity
        self.dueDate = dueDate
        self.releaseDate = releaseDate
        self.maxUnitCost = maxUnitCost
        self.regions = regions
        self.certifications = certifications
        self.minLot = minLot
        self.maxFactories = maxFactories
        self.priority = priority
        self.reference = reference
        self.pool = pool
        self.brokerID = brokerID
    }

    public static func read(from r: inout ObjectReader) -> OrderInput? {
        let capability = r.capability("capability", required: true)
        let quantity = r.int("quantity", required: true, in: OrderLimits.quantity)
        let dueDate = r.day("due_date", required: true)
        let releaseDate = r.day("release_date")
        let maxUnitCost = r.money("max_unit_cost")
        let regions = r.stringSet("regions", max: OrderLimits.maxRegions, rule: .region)
        let certifications = r.stringSet("certifications", max: OrderLimits.maxCertifications, rule: .certification)
        let minLot = r.int("min_lot", in: OrderLimits.quantity)
        let maxFactories = r.int("max_factories", in: OrderLimits.maxFactories)
        let priority = r.int("priority", in: OrderLimits.priority)
        let reference = r.string("reference", length: OrderLimits.referenceLength)
        let pool = r.code("pool", rule: .pool)
        let brokerID = r.id("broker_id")

        // Cross-field rules only once both sides are individually valid, so one mistake
        // is not reported twice.
        if let releaseDate, let dueDate, releaseDate > dueDate {
            r.report("release_date", "must be on or before due_date (\(dueDate.iso))")
        }
        if let minLot, let quantity, minLot > quantity {
            r.report("min_lot", "must not be greater than quantity (\(quantity))")
        }
        guard r.issues.isEmpty, let capability, let quantity, let dueDate else { return nil }
        return OrderInput(
            capability: capability, quantity: quantity, dueDate: dueDate, releaseDate: releaseDate,
            maxUnitCost: maxUnitCost, regions: regions ?? [], certifications: certifications ?? [],
            minLot: minLot ?? OrderLimits.defaultMinLot, maxFactories: maxFactories ?? OrderLimits.defaultMaxFactories,
            priority: priority ?? OrderLimits.defaultPriority, reference: reference?.isEmpty == true ? nil : reference,
            pool: pool, brokerID: brokerID)
    }
}

/// Limits of schedule runs.
public enum RunLimits {
    /// A run longer than ten minutes is surely a mistake (and would hold its locks).
    public static let timeLimitMs = 1...600_000
    /// Entries in `capabilities`.
    public static let maxCapabilities = 1_000
}

/// The body of `POST /v1/schedule-runs`: `{"capabilities"?,"dry_run"?,"time_limit_ms"?,"seed"?,"as_of"?,"if_busy"?}`.
///
/// All optional: `capabilities` (distinct codes, at most 1,000; absent or empty = all),
/// `dry_run` (default false), `time_limit_ms` (1..600,000; nil = the server's default),
/// `seed` (any whole number 0..2^63-1; nil = the server picks one), `as_of` (a date; nil = today),
/// `if_busy` (`queue`, the default, or `refuse`).
public struct ScheduleRunInput: BodyInput, Equatable {
    /// What to do when another run holds one of the capabilities.
    public enum IfBusy: String, Sendable, CaseIterable {
        /// Wait as `queued` and start when the capabilities are free.
        case queue
        /// Answer 409 at once.
        case refuse
    }

    /// Capabilities to re-optimise; empty = all.
    public var capabilities: [Capability]
    /// `dry_run`.
    public var dryRun: Bool
    /// `time_limit_ms`; nil = the server's default.
    public var timeLimitMs: Int?
    /// `seed`; nil = the server picks one.
    public var seed: Int64?
    /// `as_of`; nil = today.
    public var asOf: Day?
    /// `if_busy`.
    public var ifBusy: IfBusy

    /// A run body with these values.
    public init(capabilities: [Capability] = [], dryRun: Bool = false, timeLimitMs: Int? = nil, seed: Int64? = nil, asOf: Day? = nil,
                ifBusy: IfBusy = .queue) {
        self.capabilities = capabilities
        self.dryRun = dryRun
        self.timeLimitMs = timeLimitMs
        self.seed = seed
        self.asOf = asOf
        self.ifBusy = ifBusy
    }

    public static func read(from r: inout ObjectReader) -> ScheduleRunInput? {
        let capabilities = r.stringSet("capabilities", max: RunLimits.maxCapabilities, rule: .capability)
        let dryRun = r.bool("dry_run")
        let timeLimitMs = r.int("time_limit_ms", in: RunLimits.timeLimitMs)
        let seed = r.int64("seed", in: 0...Int64.max)
        let asOf = r.day("as_of")
        let ifBusy = r.enumeration("if_busy", as: IfBusy.self)
        guard r.issues.isEmpty else { return nil }
        return ScheduleRunInput(capabilities: (capabilities ?? []).compactMap(Capability.init), dryRun: dryRun ?? false,
                                timeLimitMs: timeLimitMs, seed: seed, asOf: asOf, ifBusy: ifBusy ?? .queue)
    }
}
