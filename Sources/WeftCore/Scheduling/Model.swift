/// The scheduling model of one capability: the plain data that placement, the verifier, the
/// bound and the solver work on.
///
/// Everything scheduling-related lives in this namespace so that its short names (`Order`,
/// `Slot`, `Score`) never collide with the API's domain types in the same module.
///
/// Entities refer to each other by **array index** inside one ``Scheduling/Problem`` (a slot's
/// `factory` is an index into `problem.factories`, an allocation's `order` an index into
/// `problem.orders`). Indices keep the hot loops free of hashing; the `id` strings are carried
/// only so that callers can map results back to database rows.
public enum Scheduling {}

extension Scheduling {
    /// A factory as seen by one capability's subproblem.
    public struct Factory: Sendable, Hashable {
        /// The caller's identifier (database id); never interpreted.
        public var id: String
        /// Inactive factories are never eligible.
        public var active: Bool
        /// Region code such as `CN-GD`, matched against an order's `regions`.
        public var region: String
        /// Certification codes; an order's `certifications` must all be among them.
        public var certifications: Set<String>
        /// Days from production until the goods reach the broker (0...60).
        public var leadDays: Int
        /// Fixed cost, in minor units, charged once per order this factory takes on for the
        /// capability.
        public var setupCost: Int64
        /// Whether the factory offers the capability at all. Subproblems built for solving only
        /// contain factories that do; "explain" may pass others to name `capability` as reason.
        public var offersCapability: Bool
        /// Fixed cost, in minor units, of one production batch on one day in one of this
        /// factory's slots (the contract's `batch_cost`, ≥ 0). See ``Scheduling/batchCount(units:batchUnits:)``.
        public var batchCost: Int64
        /// Most units one batch holds (`batch_units`, ≥ 1); nil means unlimited: one batch per
        /// (slot, pool group) whatever its units.
        public var batchUnits: Int?

        public init(id: String, active: Bool = true, region: String, certifications: Set<String> = [],
                    leadDays: Int = 0, setupCost: Int64 = 0, offersCapability: Bool = true,
                    batchCost: Int64 = 0, batchUnits: Int? = nil) {
            self.id = id
            self.active = active
            self.region = region
            self.certifications = certifications
            self.leadDays = leadDays
            self.setupCost = setupCost
            self.offersCapability = offersCapability
            self.batchCost = batchCost
            self.batchUnits = batchUnits
        }
    }

    /// One day of one factory's capacity for the capability.
    public struct Slot: Sendable, Hashable {
        /// The caller's identifier (database id); never interpreted.
        public var id: String
        /// Index into ``Scheduling/Problem/factories``.
        public var factory: Int
        /// The production day.
        public var day: Day
        /// Units available that day to the orders of this problem (the slot's capacity, or its
        /// capacity minus allocations of orders the caller left out of the problem).
        public var units: Int
        /// Cost of each unit made in this slot, in integer minor units.
        public var unitCost: Int64
        /// Units already in this slot, per pool code, from orders the caller left out of the
        /// problem (instant placement builds a problem with the new order alone). They open
        /// batches that the problem's orders of the same pool may fill at no extra batch cost;
        /// the score charges the problem only for the batches its own units add
        /// (see ``Scheduling/addedBatchCost(inside:outside:factory:)``). Orders without a pool
        /// outside the problem need no entry: nobody can join their batches. Not counted in
        /// `units` (which is already net of outside allocations).
        public var outsidePoolUnits: [String: Int]

        public init(id: String, factory: Int, day: Day, units: Int, unitCost: Int64,
                    outsidePoolUnits: [String: Int] = [:]) {
            self.id = id
            self.factory = factory
            self.day = day
            self.units = units
            self.unitCost = unitCost
            self.outsidePoolUnits = outsidePoolUnits
        }
    }

    /// An order of the capability, with the fields that constrain where it may be made.
    public struct Order: Sendable, Hashable {
        /// The caller's identifier (database id); never interpreted.
        public var id: String
        /// Units wanted (1...1,000,000).
        public var quantity: Int
        /// The day the goods must have reached the broker: a slot on day `d` of factory `f` is
        /// usable only when `d + f.leadDays <= dueDate`.
        public var dueDate: Day
        /// Earliest production day.
        public var releaseDate: Day
        /// Highest acceptable unit cost; nil means any.
        public var maxUnitCost: Int64?
        /// Allowed factory regions; empty means any.
        public var regions: Set<String>
        /// Certifications every factory used must hold.
        public var certifications: Set<String>
        /// Least units any one factory may make of it (1...quantity).
        public var minLot: Int
        /// Most factories it may be split across (1...64).
        public var maxFactories: Int
        /// 1...5; each unserved unit costs `priority` in the score.
        public var priority: Int
        /// The order's pool code: orders of the same pool (and capability) share batches in a
        /// slot. nil: the order is a pool group of its own.
        public var pool: String?

        public init(id: String, quantity: Int, dueDate: Day, releaseDate: Day, maxUnitCost: Int64? = nil,
                    regions: Set<String> = [], certifications: Set<String> = [], minLot: Int = 1,
                    maxFactories: Int = 8, priority: Int = 3, pool: String? = nil) {
            self.id = id
            self.quantity = quantity
            self.dueDate = dueDate
            self.releaseDate = releaseDate
            self.maxUnitCost = maxUnitCost
            self.regions = regions
            self.certifications = certifications
            self.minLot = minLot
            self.maxFactories = maxFactories
            self.priority = priority
            self.pool = pool
        }
    }

    /// Units of one order made in one slot.
    ///
    /// A plan is a list of these. Several entries for the same (order, slot) are allowed and
    /// simply add up (a pinned and a planned one, say).
    public struct Allocation: Sendable, Hashable, Comparable {
        /// Index into ``Scheduling/Problem/orders``.
        public var order: Int
        /// Index into ``Scheduling/Problem/slots``.
        public var slot: Int
        /// Units, at least 1.
        public var units: Int
        /// Pinned allocations (confirmed by the factory, or on a day before
        /// `asOf + freezeDays`) are never moved or changed by the solver. The caller decides.
        public var pinned: Bool

        public init(order: Int, slot: Int, units: Int, pinned: Bool = false) {
            self.order = order
            self.slot = slot
            self.units = units
            self.pinned = pinned
        }

        /// Orders by (order, slot, pinned first, units) so that plans have a canonical form.
        public static func < (lhs: Allocation, rhs: Allocation) -> Bool {
            if lhs.order != rhs.order { return lhs.order < rhs.order }
            if lhs.slot != rhs.slot { return lhs.slot < rhs.slot }
            if lhs.pinned != rhs.pinned { return lhs.pinned }
            return lhs.units < rhs.units
        }
    }

    /// One capability's subproblem: everything a run or a placement needs, and nothing else.
    ///
    /// Orders of different capabilities never share a slot, so each capability is solved on
    /// its own (see ``Scheduling/solveAll(_:options:progress:)``).
    public struct Problem: Sendable {
        /// The capability code (informational).
        public var capability: String
        /// The run's `as_of` day: nothing may be newly placed before it.
        public var asOf: Day
        public var factories: [Factory]
        public var slots: [Slot]
        public var orders: [Order]
        /// The current plan (the starting point of a run).
        public var allocations: [Allocation]

        public init(capability: String, asOf: Day, factories: [Factory], slots: [Slot], orders: [Order],
                    allocations: [Allocation] = []) {
            self.capability = capability
            self.asOf = asOf
            self.factories = factories
            self.slots = slots
            self.orders = orders
            self.allocations = allocations
        }

        /// Whether slot `slot` may hold units of order `order` (the contract's eligibility rule).
        public func isEligible(order: Int, slot: Int) -> Bool {
            let s = slots[slot]
            return Scheduling.slotExclusion(order: orders[order], slot: s, factory: factories[s.factory], asOf: asOf) == nil
        }

        /// For every order, the slots eligible for it, in slot-index order. O(orders × slots);
        /// the solver builds a faster index of its own.
        public func eligibleSlots(order: Int) -> [Int] {
            slots.indices.filter { isEligible(order: order, slot: $0) }
        }
    }
}

extension Scheduling {
    /// The first eligibility rule that keeps `slot` (of `factory`) from order `order`, checked in
    /// the order the contract's "explain" lists them; nil when the slot is eligible.
    ///
    /// Date rules (release date, `asOf`, due date minus lead days) all report `.deadline`: they
    /// describe the order's production window.
    public static func slotExclusion(order: Order, slot: Slot, factory: Factory, asOf: Day) -> ExclusionReason? {
        if let reason = factoryExclusion(order: order, factory: factory) { return reason }
        if let cap = order.maxUnitCost, slot.unitCost > cap { return .price }
        if !inWindow(order: order, day: slot.day, factory: factory, asOf: asOf) { return .deadline }
        return nil
    }

    /// Whether `slot` may hold units of `order`: the contract's eligibility rule.
    public static func isEligible(order: Order, slot: Slot, factory: Factory, asOf: Day) -> Bool {
        slotExclusion(order: order, slot: slot, factory: factory, asOf: asOf) == nil
    }

    /// The slot-independent rules: capability, active, region, certifications.
    public static func factoryExclusion(order: Order, factory: Factory) -> ExclusionReason? {
        if !factory.offersCapability { return .capability }
        if !factory.active { return .inactive }
        if !order.regions.isEmpty && !order.regions.contains(factory.region) { return .region }
        if !order.certifications.isSubset(of: factory.certifications) { return .certification }
        return nil
    }

    /// The production-window rule: `day >= releaseDate`, `day >= asOf`,
    /// `day + leadDays <= dueDate`.
    @inline(__always)
    static func inWindow(order: Order, day: Day, factory: Factory, asOf: Day) -> Bool {
        day >= order.releaseDate && day >= asOf
            && Int(day.ordinal) + factory.leadDays <= Int(order.dueDate.ordinal)
    }

    /// Why an order does not use a factory, in the order the contract lists the reasons.
    public enum ExclusionReason: String, Sendable, Hashable, Codable, CaseIterable {
        /// The factory does not offer the order's capability.
        case capability
        /// The factory is inactive.
        case inactive
        /// The factory's region is not among the order's regions.
        case region
        /// The factory lacks a certification the order requires.
        case certification
        /// Every slot of the factory costs more than the order's `max_unit_cost`.
        case price
        /// No affordable slot lies in the order's production window (release date or `as_of`
        /// to due date minus the factory's lead days).
        case deadline
        /// The eligible slots have no free units.
        case capacityFull = "capacity_full"
        /// The order is short but already split across `max_factories` factories.
        case splitLimit = "split_limit"
        /// The factory cannot make `min_lot` units of it (or the order's remaining shortfall is
        /// below `min_lot`).
        case minimumLot = "minimum_lot"
        /// The factory could take it, but other factories were cheaper (or not needed).
        case cost
    }
}
