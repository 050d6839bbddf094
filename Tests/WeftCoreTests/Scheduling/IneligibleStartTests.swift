import Testing
@testable import WeftCore

/// A factory changed after orders were placed (deactivated, moved region, longer lead time):
/// allocations that were eligible when made no longer are. A run must move them, not fail.
@Suite("Runs with allocations that became ineligible")
struct IneligibleStartTests {
    @Test func movableIneligibleUnitsAreMovedAndThePlanIsValid() {
        let asOf = Day(iso: "2026-12-01")!
        let factories = [
            Scheduling.Factory(id: "gone", active: false, region: "CN-GD", leadDays: 0, setupCost: 10),
            Scheduling.Factory(id: "ok", active: true, region: "CN-GD", leadDays: 0, setupCost: 10),
        ]
        let slots = [
            Scheduling.Slot(id: "s0", factory: 0, day: asOf.adding(days: 2), units: 50, unitCost: 5),
            Scheduling.Slot(id: "s1", factory: 1, day: asOf.adding(days: 2), units: 50, unitCost: 7),
        ]
        let orders = [
            Scheduling.Order(id: "o0", quantity: 30, dueDate: asOf.adding(days: 5), releaseDate: asOf, minLot: 10),
            Scheduling.Order(id: "o1", quantity: 10, dueDate: asOf.adding(days: 5), releaseDate: asOf),
        ]
        let start = [
            Scheduling.Allocation(order: 0, slot: 0, units: 30),
            Scheduling.Allocation(order: 1, slot: 1, units: 10),
        ]
        let problem = Scheduling.Problem(capability: "pcb.fab", asOf: asOf, factories: factories, slots: slots,
                                         orders: orders, allocations: start)
        #expect(!Scheduling.verify(problem, plan: start, start: start).isValid)
        let result = Scheduling.solve(problem, options: .init(timeLimit: .milliseconds(300), seed: 7, maxIterations: 50))
        let check = Scheduling.verify(problem, plan: result.plan, start: start)
        #expect(check.isValid, "violations: \(check.violations)")
        #expect(!result.fellBack)
        #expect(result.plan.allSatisfy { $0.slot == 1 })
        #expect(result.scoreAfter.unserved == 0)
    }
}
