import Testing
@testable import WeftCore

private let base = Day(ordinal: 20_000)
private func day(_ n: Int) -> Day { base.adding(days: n) }

/// One factory with slots on days 0...4 at cost 10, and an order that may use all of them.
private func single() -> (Scheduling.Order, Scheduling.Factory, [Scheduling.Slot]) {
    let factory = Scheduling.Factory(id: "f", region: "CN-GD", certifications: ["ISO9001", "BSCI"], leadDays: 1, setupCost: 10)
    let slots = (0..<5).map { Scheduling.Slot(id: "s\($0)", factory: 0, day: day($0), units: 10, unitCost: 10) }
    let order = Scheduling.Order(id: "o", quantity: 5, dueDate: day(5), releaseDate: day(0), maxUnitCost: 10,
                                 regions: ["CN-GD"], certifications: ["ISO9001"])
    return (order, factory, slots)
}

@Suite("Eligibility and explain")
struct EligibilityTests {
    @Test("the reference order may use every slot")
    func baseline() {
        let (order, factory, slots) = single()
        for s in slots { #expect(Scheduling.isEligible(order: order, slot: s, factory: factory, asOf: day(0))) }
    }

    @Test("each rule excludes a slot, and names itself")
    func eachRule() {
        let (order, factory, slots) = single()
        let slot = slots[2]
        func reason(_ o: Scheduling.Order = single().0, _ f: Scheduling.Factory = single().1, _ s: Scheduling.Slot = slots[2], asOf: Day = day(0)) -> Scheduling.ExclusionReason? {
            Scheduling.slotExclusion(order: o, slot: s, factory: f, asOf: asOf)
        }
        var f = factory; f.offersCapability = false
        #expect(reason(order, f) == .capability)
        f = factory; f.active = false
        #expect(reason(order, f) == .inactive)
        f = factory; f.region = "VN-SG"
        #expect(reason(order, f) == .region)
        f = factory; f.certifications = ["BSCI"]
        #expect(reason(order, f) == .certification)
        var s = slot; s.unitCost = 11
        #expect(reason(order, factory, s) == .price)
        var o = order; o.dueDate = day(2)          // day 2 + lead 1 = 3 > 2
        #expect(reason(o, factory, slot) == .deadline)
        o = order; o.releaseDate = day(3)           // before the release date
        #expect(reason(o, factory, slot) == .deadline)
        #expect(reason(order, factory, slot, asOf: day(3)) == .deadline)   // before as_of
        // Boundaries are inclusive.
        o = order; o.dueDate = day(3); o.releaseDate = day(2); o.maxUnitCost = 10
        #expect(reason(o, factory, slot, asOf: day(2)) == nil)
        // No region and no certification restriction means any.
        o = order; o.regions = []; o.certifications = []; o.maxUnitCost = nil
        f = factory; f.region = "XX"; f.certifications = []
        #expect(reason(o, f, slot) == nil)
    }

    @Test("explain names the first reason per factory")
    func explainReasons() {
        // Nine factories, each failing one way, plus one used by the order.
        let order = Scheduling.Order(id: "o", quantity: 30, dueDate: day(5), releaseDate: day(0), maxUnitCost: 20,
                                     regions: ["CN-GD"], certifications: ["ISO9001"], minLot: 5, maxFactories: 8)
        func factory(_ id: String, active: Bool = true, region: String = "CN-GD", certs: Set<String> = ["ISO9001"], offers: Bool = true) -> Scheduling.Factory {
            Scheduling.Factory(id: id, active: active, region: region, certifications: certs, leadDays: 0, setupCost: 100, offersCapability: offers)
        }
        let factories = [
            factory("used"), factory("capability", offers: false), factory("inactive", active: false),
            factory("region", region: "MX-NL"), factory("certification", certs: []), factory("price"),
            factory("deadline"), factory("full"), factory("lot"), factory("cost"),
        ]
        var slots: [Scheduling.Slot] = []
        func add(_ f: Int, _ d: Int, _ units: Int, _ cost: Int64) {
            slots.append(Scheduling.Slot(id: "s\(slots.count)", factory: f, day: day(d), units: units, unitCost: cost))
        }
        add(0, 1, 20, 10)     // used
        for f in 1...4 { add(f, 1, 20, 10) }
        add(5, 1, 20, 25)     // price above the cap
        add(6, 9, 20, 10)     // after the due date
        add(7, 1, 20, 10)     // full
        add(8, 1, 3, 10)      // fewer free units than the minimum lot
        add(9, 1, 20, 30)     // price above the cap ...
        add(9, 2, 20, 15)     // ... but this one is fine: cost
        var free = slots.map(\.units)
        free[7] = 0
        // The order has 10 units in "used": short by 20, using 1 of 8 factories.
        let explanation = Scheduling.explain(order: order, asOf: day(0), factories: factories, slots: slots, free: free,
                                             allocations: [Scheduling.SlotUnits(slot: 0, units: 10)])
        let reasons = explanation.map(\.reason)
        #expect(reasons == [nil, .capability, .inactive, .region, .certification, .price, .deadline, .capacityFull, .minimumLot, .cost])
        #expect(explanation[0].used && explanation[0].units == 10)

        // At its split limit a short order names the split limit for usable factories.
        var limited = order
        limited.maxFactories = 1
        let split = Scheduling.explain(order: limited, asOf: day(0), factories: factories, slots: slots, free: free,
                                       allocations: [Scheduling.SlotUnits(slot: 0, units: 10)])
        #expect(split[9].reason == .splitLimit)
    }

    @Test("instant placement serves what it can, says why not more, and what would help")
    func placementShortfall() {
        let factories = [
            Scheduling.Factory(id: "a", region: "CN-GD", leadDays: 0, setupCost: 100),
            Scheduling.Factory(id: "b", region: "CN-GD", leadDays: 0, setupCost: 100),
        ]
        let slots = [
            Scheduling.Slot(id: "a0", factory: 0, day: day(0), units: 10, unitCost: 10),
            Scheduling.Slot(id: "a3", factory: 0, day: day(3), units: 10, unitCost: 10),   // after the due date
            Scheduling.Slot(id: "b0", factory: 1, day: day(0), units: 10, unitCost: 30),   // above the cap
        ]
        let order = Scheduling.Order(id: "o", quantity: 20, dueDate: day(1), releaseDate: day(0), maxUnitCost: 20, maxFactories: 2)
        let placed = Scheduling.place(order: order, asOf: day(0), factories: factories, slots: slots, free: slots.map(\.units))
        #expect(placed.servedUnits == 10)
        #expect(placed.allocations == [Scheduling.SlotUnits(slot: 0, units: 10)])
        #expect(placed.cost == 10 * 10 + 100)
        #expect(placed.exact)
        let shortfall = placed.shortfall!
        #expect(shortfall.units == 10)
        #expect(shortfall.reason == .capacityFull)
        #expect(shortfall.excludedFactories == [.price: 1])
        #expect(shortfall.laterDueDate == .init(dueDate: day(3), servedUnits: 20))
        #expect(shortfall.higherPriceCap == .init(maxUnitCost: 30, servedUnits: 20))

        // Nothing eligible at all.
        var strict = order
        strict.regions = ["MX-NL"]
        let none = Scheduling.place(order: strict, asOf: day(0), factories: factories, slots: slots, free: slots.map(\.units))
        #expect(none.servedUnits == 0 && none.allocations.isEmpty)
        #expect(none.shortfall?.reason == .noEligibleSlot)
        #expect(none.shortfall?.excludedFactories == [.region: 2])

        // Split limit and minimum lot are named when they bind.
        var split = order
        split.maxUnitCost = nil
        split.dueDate = day(0)
        split.maxFactories = 1
        let s = Scheduling.place(order: split, asOf: day(0), factories: factories, slots: slots, free: slots.map(\.units))
        #expect(s.servedUnits == 10 && s.shortfall?.reason == .splitLimit)
        var lot = split
        lot.maxFactories = 2
        lot.minLot = 11
        let l = Scheduling.place(order: lot, asOf: day(0), factories: factories, slots: slots, free: slots.map(\.units))
        #expect(l.servedUnits == 0 && l.shortfall?.reason == .minimumLot)
    }

    @Test("displacement re-placement keeps existing units and counts their factory")
    func existingUnits() {
        let factories = [
            Scheduling.Factory(id: "a", region: "R", setupCost: 1_000),
            Scheduling.Factory(id: "b", region: "R", setupCost: 10),
        ]
        let slots = [
            Scheduling.Slot(id: "a0", factory: 0, day: day(0), units: 10, unitCost: 10),
            Scheduling.Slot(id: "b0", factory: 1, day: day(0), units: 10, unitCost: 10),
        ]
        let order = Scheduling.Order(id: "o", quantity: 8, dueDate: day(2), releaseDate: day(0), minLot: 4, maxFactories: 1)
        // The order keeps 4 units in a (setup already paid): the other 4 go to a as well, even
        // though b's setup is cheaper, because the split limit is 1.
        let placed = Scheduling.place(order: order, asOf: day(0), factories: factories, slots: slots, free: [6, 10],
                                      existing: [Scheduling.SlotUnits(slot: 0, units: 4)])
        #expect(placed.servedUnits == 8)
        #expect(placed.allocations == [Scheduling.SlotUnits(slot: 0, units: 4)])
        #expect(placed.cost == 40)
    }
}

extension EligibilityTests {
    @Test("firstExclusionReason is explain's entry for one factory")
    func firstReason() {
        let (order, factory, slots) = single()
        var inactive = factory
        inactive.active = false
        let factories = [factory, inactive]
        let allSlots = slots + [Scheduling.Slot(id: "x", factory: 1, day: day(1), units: 5, unitCost: 10)]
        let free = allSlots.map(\.units)
        #expect(Scheduling.firstExclusionReason(order: order, factory: 1, asOf: day(0), factories: factories, slots: allSlots, free: free, allocations: []) == .inactive)
        #expect(Scheduling.firstExclusionReason(order: order, factory: 0, asOf: day(0), factories: factories, slots: allSlots, free: free, allocations: []) == .cost)
        #expect(Scheduling.firstExclusionReason(order: order, factory: 0, asOf: day(0), factories: factories, slots: allSlots, free: free,
                                                allocations: [Scheduling.SlotUnits(slot: 0, units: 5)]) == nil)
    }
}
