extension Scheduling {
    /// Free units of one slot offered to a single-order placement.
    public struct PlacementSlot: Sendable, Hashable {
        /// The caller's slot index (echoed in the result).
        public var slot: Int
        public var free: Int
        public var unitCost: Int64
        /// Used only to break ties between equally priced slots (later days first, leaving
        /// early capacity to orders that are due sooner).
        public var day: Day
        /// Units of the order's pool group already in the slot (other orders of its pool, units
        /// from outside the problem, the order's own kept units): they open batches whose free
        /// room the order fills without a new batch cost.
        public var groupUnits: Int
        public init(slot: Int, free: Int, unitCost: Int64, day: Day, groupUnits: Int = 0) {
            self.slot = slot
            self.free = free
            self.unitCost = unitCost
            self.day = day
            self.groupUnits = groupUnits
        }
    }

    /// One candidate factory of a single-order placement: its eligible slots for the order.
    public struct PlacementFactory: Sendable, Hashable {
        /// The caller's factory index (echoed in the result).
        public var factory: Int
        public var setupCost: Int64
        /// Units of the order already in this factory that stay where they are. When positive,
        /// the factory counts towards `max_factories`, its setup is not charged again, and its
        /// total (existing + new) must reach `min_lot`.
        public var existingUnits: Int
        public var slots: [PlacementSlot]
        /// The factory's batch cost and batch size (nil: unlimited) for the capability.
        public var batchCost: Int64
        public var batchUnits: Int?
        public init(factory: Int, setupCost: Int64, existingUnits: Int = 0, batchCost: Int64 = 0, batchUnits: Int? = nil,
                    slots: [PlacementSlot]) {
            self.factory = factory
            self.setupCost = setupCost
            self.existingUnits = existingUnits
            self.batchCost = batchCost
            self.batchUnits = batchUnits
            self.slots = slots
        }
    }

    /// A single-order placement problem: place up to `quantity` more units.
    public struct PlacementRequest: Sendable {
        /// Units still wanted (the order's quantity minus its existing units).
        public var quantity: Int
        public var minLot: Int
        public var maxFactories: Int
        /// Only eligible slots belong here; eligibility is the caller's business at this level
        /// (see ``Scheduling/place(order:asOf:factories:slots:free:existing:nodeLimit:advise:)``).
        public var factories: [PlacementFactory]
        /// Branch-and-bound node limit; the result says whether it was reached.
        public var nodeLimit: Int
        public init(quantity: Int, minLot: Int = 1, maxFactories: Int = 8, factories: [PlacementFactory], nodeLimit: Int = 50_000) {
            self.quantity = quantity
            self.minLot = minLot
            self.maxFactories = maxFactories
            self.factories = factories
            self.nodeLimit = nodeLimit
        }
    }

    /// Units in one slot.
    public struct SlotUnits: Sendable, Hashable, Codable {
        public var slot: Int
        public var units: Int
        public init(slot: Int, units: Int) {
            self.slot = slot
            self.units = units
        }
    }

    /// The best plan for one order alone.
    public struct PlacementResult: Sendable {
        /// New units placed (the most possible under min lot and split limit).
        public var served: Int
        /// Their cost: Σ units × unit cost + setup of every newly used factory + the batch cost
        /// they add (new batches beyond the room of batches already open for the order's group).
        public var cost: Int64
        /// Where, by the caller's slot index; sorted by slot.
        public var allocations: [SlotUnits]
        /// Newly used factories (caller's indices), sorted.
        public var newFactories: [Int]
        /// True when `cost` is proven least (the search finished); otherwise `costLowerBound`
        /// is a proven lower bound and `cost - costLowerBound` the margin.
        public var exact: Bool
        public var costLowerBound: Int64
        /// Why fewer than `quantity` units were placed; nil when all were.
        public var shortfall: ShortfallCause?
        /// Branch-and-bound nodes explored.
        public var nodes: Int
    }

    /// Exact single-order placement (see the engines' documentation for the algorithms and their
    /// proofs): most units first, then least cost (including the batch cost the order adds),
    /// under `min_lot` and `max_factories`.
    public static func placeSingleOrder(_ request: PlacementRequest) -> PlacementResult {
        let (cands, free, callerSlot, group) = candidateSet(request)
        // Segments are sorted within each factory; their group units follow them.
        let segmentGroup = cands.segSlot.map { group[$0] }
        var engine = AnyPlacementEngine()
        free.withUnsafeBufferPointer { buffer in
            engine.solve(cands, free: buffer, groupUnits: segmentGroup, quantity: request.quantity, minLot: request.minLot,
                         maxFactories: request.maxFactories, nodeLimit: request.nodeLimit)
        }
        var allocations: [SlotUnits] = []
        let take = engine.take
        for i in 0..<cands.segSlot.count where take[i] > 0 {
            allocations.append(SlotUnits(slot: callerSlot[cands.segSlot[i]], units: take[i]))
        }
        allocations.sort { $0.slot < $1.slot }
        return PlacementResult(served: engine.served, cost: engine.cost, allocations: allocations,
                               newFactories: engine.usedNew.map { cands.factory[$0] }.sorted(),
                               exact: engine.exact, costLowerBound: engine.lowerBound,
                               shortfall: engine.cause, nodes: engine.exploredNodes)
    }

    /// The most units `request` can place (T*) and why not more, without choosing where: the
    /// plain engine's closed form on the full free units. Costs play no part in it, batch costs
    /// and open batches none either (``ReducedPooledPlacement`` takes its T* from the same
    /// engine on the same units), so this is `placeSingleOrder(request).served` and `.shortfall`
    /// exactly, without the search for the cheapest plan that serves them.
    static func mostUnits(_ request: PlacementRequest) -> (served: Int, shortfall: ShortfallCause?) {
        let (cands, free, _, _) = candidateSet(request)
        var engine = PlacementEngine()
        free.withUnsafeBufferPointer { buffer in
            engine.solve(cands, free: buffer, quantity: request.quantity, minLot: request.minLot,
                         maxFactories: request.maxFactories, nodeLimit: request.nodeLimit, unitsOnly: true)
        }
        return (engine.served, engine.cause)
    }

    /// The request's slots with free units as a candidate set: the free units, the caller's
    /// slot index and the pool group's units of each, in the set's slot order.
    private static func candidateSet(_ request: PlacementRequest) -> (CandidateSet, free: [Int], callerSlot: [Int], group: [Int]) {
        var cands = CandidateSet()
        var free: [Int] = []
        var callerSlot: [Int] = []
        var group: [Int] = []
        for pf in request.factories {
            var items: [(slot: Int, price: Int64, day: Day)] = []
            for s in pf.slots where s.free > 0 {
                items.append((free.count, s.unitCost, s.day))
                free.append(s.free)
                callerSlot.append(s.slot)
                group.append(s.groupUnits)
            }
            cands.addFactory(factory: pf.factory, setup: pf.setupCost, existing: max(0, pf.existingUnits),
                             batchCost: pf.batchCost, batchUnits: pf.batchUnits, slots: items)
        }
        return (cands, free, callerSlot, group)
    }
}
