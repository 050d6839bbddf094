// Scheduler benchmarks: see benchmarks/README.md. Run through ../../solver-bench.sh.
import Foundation
import WeftCore
import WeftMIP
#if canImport(Glibc)
import Glibc
#endif

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Peak resident set size of this process in MiB.
func peakMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024   // Linux reports KiB
}

func flag(_ name: String, _ args: [String]) -> String? {
    guard let i = args.firstIndex(of: "--\(name)"), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func spec(from args: [String]) -> Scheduling.InstanceSpec {
    let shape = Scheduling.InstanceShape(rawValue: flag("shape", args) ?? "mixed") ?? .mixed
    return Scheduling.InstanceSpec(shape: shape, orders: Int(flag("orders", args) ?? "400")!,
                                   factories: Int(flag("factories", args) ?? "60")!, days: Int(flag("days", args) ?? "14")!,
                                   seed: UInt64(flag("seed", args) ?? "1")!, withStartPlan: args.contains("--start-plan"))
}

func fmt(_ s: Scheduling.Score) -> String { "(\(s.unserved), \(s.cost))" }

// MARK: placement micro-benchmark

func placementBench() {
    var rng = Scheduling.SeededRandom(seed: 1)
    var times: [Double] = []
    var inexact = 0, nodes = 0
    for _ in 0..<500 {
        var factories: [Scheduling.PlacementFactory] = []
        var slot = 0
        for f in 0..<200 {
            let base = Int64(rng.int(in: 80...130))
            var slots: [Scheduling.PlacementSlot] = []
            for d in 0..<5 {
                slots.append(.init(slot: slot, free: rng.int(in: 0...120), unitCost: base + Int64(rng.int(in: -5...5)), day: Day(ordinal: Int32(d))))
                slot += 1
            }
            factories.append(.init(factory: f, setupCost: Int64(rng.int(in: 500...8000)), slots: slots))
        }
        let request = Scheduling.PlacementRequest(quantity: rng.int(in: 50...3000), minLot: rng.chance(0.5) ? 1 : rng.int(in: 10...100),
                                                  maxFactories: rng.int(in: 1...8), factories: factories)
        let t0 = now()
        let r = Scheduling.placeSingleOrder(request)
        times.append(now() - t0)
        if !r.exact { inexact += 1 }
        nodes += r.nodes
    }
    times.sort()
    func us(_ q: Double) -> Int { Int(times[min(times.count - 1, Int(Double(times.count) * q))] * 1e6) }
    print("placement: 1 order x 1000 slots x 200 factories, \(times.count) random orders (quantity 50-3000, min lot 1-100, max factories 1-8)")
    print("  median \(us(0.5)) us, p90 \(us(0.9)) us, p99 \(us(0.99)) us, max \(Int(times.last! * 1e6)) us; not proven exact: \(inexact); mean B&B nodes \(nodes / times.count)")
}

// MARK: one instance

func runInstance(_ args: [String]) {
    let spec = spec(from: args)
    let seconds = Double(flag("time", args) ?? "2")!
    let workers = Int(flag("workers", args) ?? "1")!
    let t0 = now()
    let problem = Scheduling.generateInstance(spec)
    let genTime = now() - t0

    let g0 = now()
    let greedyPlan = Scheduling.naiveGreedy(problem)
    let greedyTime = now() - g0
    let greedy = Scheduling.verify(problem, plan: greedyPlan, start: problem.allocations)
    let pooled = problem.factories.contains { $0.batchCost > 0 }
    // The pooling-aware baseline: each order in turn where it adds the least (pooled shapes).
    let m0 = now()
    let marginal = pooled ? Scheduling.verify(problem, plan: Scheduling.marginalGreedy(problem), start: problem.allocations) : nil
    let marginalTime = now() - m0

    var options = Scheduling.SolverOptions(timeLimit: .milliseconds(Int(seconds * 1000)), seed: spec.seed, workers: workers)
    options.boundTimeLimit = .seconds(Int(flag("bound-time", args) ?? "30")!)
    options.mipSolver = mipSolver(args)
    let s0 = now()
    let result = Scheduling.solve(problem, options: options)
    let solveTime = now() - s0

    var gap = "-"
    if let b = result.bound {
        if let g = b.costGap(of: result.scoreAfter) { gap = String(format: "%.2f%%", g * 100) } else { gap = "unserved +\(result.scoreAfter.unserved - b.unserved)" }
    }
    let reference = marginal?.score ?? greedy.score
    let beats = result.scoreAfter < reference ? "yes" : (result.scoreAfter == reference ? "tie" : "NO")
    let sizes = "\(problem.orders.count)x\(problem.factories.count)x\(spec.days) (\(problem.slots.count) slots)"
    let head = [spec.shape.rawValue, sizes, "seed \(spec.seed)", "greedy \(fmt(greedy.score)) hard \(greedy.score.hard)"]
        + (marginal.map { [String(format: "pool-greedy %@ hard %d (%.2fs)", fmt($0.score), $0.score.hard, marginalTime)] } ?? [])
    print((head + [
           "weft \(fmt(result.scoreAfter)) hard \(result.scoreAfter.hard)", "bound \(result.bound.map { "(\($0.unserved), \($0.cost))" } ?? "-")",
           "gap \(gap)", "beats \(marginal == nil ? "greedy" : "pool-greedy"): \(beats)",
           String(format: "time %.2fs (bound %.2fs, search %.2fs, greedy %.3fs, gen %.2fs)", solveTime, result.boundSeconds, result.searchSeconds, greedyTime, genTime),
           "iters \(result.iterations)", "moved \(result.moved)", String(format: "peak %.0f MiB", peakMiB())]).joined(separator: " | "))
    print(String(format: "  bound by %@, exact step %.2fs, %d nodes%@", result.boundMethod?.rawValue ?? "-", result.exactSeconds, result.exactNodes,
                 result.exactFailure.map { ", FAILED: \($0)" } ?? ""))
    if pooled { print("  weft " + components(problem, result.plan)) }
    if let out = flag("export", args) { exportInstance(problem, spec: spec, weft: result, greedy: reference, to: out) }
    if result.fellBack { print("  WARNING: solver fell back to the starting plan") }
}

// MARK: several capabilities at once

func runMulti(_ args: [String]) {
    let capabilities = Int(flag("capabilities", args) ?? "5")!
    let base = spec(from: args)
    let seconds = Double(flag("time", args) ?? "5")!
    let workers = Int(flag("workers", args) ?? "2")!
    let t0 = now()
    let problems = (0..<capabilities).map { c -> Scheduling.Problem in
        var s = base
        s.seed = base.seed &+ UInt64(c) * 1_000
        var p = Scheduling.generateInstance(s)
        p.capability = "cap\(c)"
        return p
    }
    let genTime = now() - t0
    var options = Scheduling.SolverOptions(timeLimit: .milliseconds(Int(seconds * 1000)), seed: base.seed, workers: workers)
    options.boundTimeLimit = .seconds(Int(flag("bound-time", args) ?? "10")!)
    options.mipSolver = mipSolver(args)
    let s0 = now()
    let done = DispatchSemaphore(value: 0)
    let box = UnsafeBox()
    Scheduling.solveAll(problems, options: options, progress: nil) { results in box.results = results; done.signal() }
    done.wait()
    let total = now() - s0
    for r in box.results {
        var gap = "-"
        if let b = r.bound, let g = b.costGap(of: r.scoreAfter) { gap = String(format: "%.2f%%", g * 100) } else if let b = r.bound { gap = "unserved +\(r.scoreAfter.unserved - b.unserved)" }
        print("  \(r.capability): weft \(fmt(r.scoreAfter)) hard \(r.scoreAfter.hard) bound \(r.bound.map { "(\($0.unserved), \($0.cost))" } ?? "-") gap \(gap) " +
              String(format: "bound %.2fs search %.2fs iters %d", r.boundSeconds, r.searchSeconds, r.iterations))
    }
    print(String(format: "multi: %d capabilities x %@ %dx%dx%d, workers %d, limit %.1fs: wall %.2fs (generate %.2fs), peak %.0f MiB",
                 capabilities, base.shape.rawValue, base.orders, base.factories, base.days, workers, seconds, total, genTime, peakMiB()))
    if args.contains("--bound-after") {
        // The flow bound of each capability, computed afterwards without a time limit (outside
        // the timed run above), to report the gap.
        for (p, r) in zip(problems, box.results) {
            let b0 = now()
            guard let b = Scheduling.bound(p) else { print("  \(r.capability): no bound"); continue }
            let gap = b.costGap(of: r.scoreAfter).map { String(format: "%.2f%%", $0 * 100) } ?? "unserved +\(r.scoreAfter.unserved - b.unserved)"
            print(String(format: "  %@: flow bound (%lld, %lld) in %.2fs, gap %@", r.capability, b.unserved, b.cost, now() - b0, gap))
        }
    }
}

final class UnsafeBox: @unchecked Sendable { var results: [Scheduling.SolveResult] = [] }

// MARK: JSON for the CP-SAT reference

func exportInstance(_ p: Scheduling.Problem, spec: Scheduling.InstanceSpec, weft: Scheduling.SolveResult, greedy: Scheduling.Score, to path: String,
                    quiet: Bool = false) {
    let factories: [[String: Any]] = p.factories.map {
        ["id": $0.id, "active": $0.active, "region": $0.region, "certifications": $0.certifications.sorted(),
         "lead_days": $0.leadDays, "setup_cost": $0.setupCost, "batch_cost": $0.batchCost, "batch_units": $0.batchUnits ?? 0]
    }
    let slots: [[String: Any]] = p.slots.map {
        ["id": $0.id, "factory": $0.factory, "day": Int($0.day.ordinal), "units": $0.units, "unit_cost": $0.unitCost,
         "outside_pool_units": $0.outsidePoolUnits]
    }
    let orders: [[String: Any]] = p.orders.map { o in
        var d: [String: Any] = ["id": o.id, "quantity": o.quantity, "due": Int(o.dueDate.ordinal), "release": Int(o.releaseDate.ordinal),
                                "regions": o.regions.sorted(), "certifications": o.certifications.sorted(),
                                "min_lot": o.minLot, "max_factories": o.maxFactories, "priority": o.priority]
        if let c = o.maxUnitCost { d["max_unit_cost"] = c }
        if let pool = o.pool { d["pool"] = pool }
        return d
    }
    // Eligible (order, slot) pairs as computed by WeftCore, so both models agree on them.
    var eligible: [[Int]] = []
    for o in p.orders.indices { eligible.append(p.eligibleSlots(order: o)) }
    let doc: [String: Any] = [
        "shape": spec.shape.rawValue, "seed": spec.seed, "as_of": Int(p.asOf.ordinal),
        "factories": factories, "slots": slots, "orders": orders, "eligible": eligible,
        "allocations": p.allocations.map { ["order": $0.order, "slot": $0.slot, "units": $0.units, "pinned": $0.pinned] },
        "weft": ["unserved": weft.scoreAfter.unserved, "cost": weft.scoreAfter.cost, "hard": weft.scoreAfter.hard,
                 "search_seconds": weft.searchSeconds],
        "greedy": ["unserved": greedy.unserved, "cost": greedy.cost],
        "bound": weft.bound.map { ["unserved": $0.unserved, "cost": $0.cost] } ?? [:],
    ]
    let data = try! JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys])
    try! data.write(to: URL(fileURLWithPath: path))
    if !quiet { print("  wrote \(path)") }
}

/// Scores a plan written by cpsat_reference.py with WeftCore's verifier.
func verifyPlan(_ args: [String]) {
    let spec = spec(from: args)
    let problem = Scheduling.generateInstance(spec)
    let data = try! Data(contentsOf: URL(fileURLWithPath: flag("plan", args)!))
    let doc = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    let list = doc["allocations"] as! [[String: Any]]
    let plan = list.map { Scheduling.Allocation(order: $0["order"] as! Int, slot: $0["slot"] as! Int, units: $0["units"] as! Int, pinned: $0["pinned"] as? Bool ?? false) }
    let v = Scheduling.verify(problem, plan: plan, start: problem.allocations)
    print("verified: hard \(v.score.hard) unserved \(v.score.unserved) cost \(v.score.cost)")
    for violation in v.violations.prefix(10) { print("  \(violation)") }
}

// MARK: pooling

/// A plan's cost by component: units × unit costs, setups, batches.
func components(_ p: Scheduling.Problem, _ plan: [Scheduling.Allocation]) -> String {
    let costs = Scheduling.orderCosts(p, plan: plan)
    let units = costs.reduce(Int64(0)) { $0 + $1.units }, setup = costs.reduce(Int64(0)) { $0 + $1.setup }
    let batch = Scheduling.planBatchCost(p, plan: plan)
    return "units \(units) + setup \(setup) + batch \(batch) (setup + batch \(setup + batch))"
}

/// Weft's pooled plan against the best plan Weft finds for the same orders with their pools
/// removed (every order in batches of its own): set-up + batch cost of both.
func poolCompare(_ args: [String]) {
    let spec = spec(from: args)
    let seconds = Double(flag("time", args) ?? "2")!
    let problem = Scheduling.generateInstance(spec)
    var alone = problem
    for o in alone.orders.indices { alone.orders[o].pool = nil }
    let options = Scheduling.SolverOptions(timeLimit: .milliseconds(Int(seconds * 1000)), seed: spec.seed, workers: 1)
    func part(_ p: Scheduling.Problem, _ name: String) -> Int64 {
        let r = Scheduling.solve(p, options: options)
        let costs = Scheduling.orderCosts(p, plan: r.plan)
        let fixed = costs.reduce(Int64(0)) { $0 + $1.setup } + Scheduling.planBatchCost(p, plan: r.plan)
        let gap = r.bound.flatMap { $0.costGap(of: r.scoreAfter) }.map { String(format: "%.2f%%", $0 * 100) } ?? "-"
        print("  \(name): score \(fmt(r.scoreAfter)) hard \(r.scoreAfter.hard), \(components(p, r.plan)), bound gap \(gap), iters \(r.iterations)")
        return fixed
    }
    print("pool-compare: \(spec.shape.rawValue) \(problem.orders.count)x\(problem.factories.count)x\(spec.days) (\(problem.slots.count) slots), seed \(spec.seed), --time \(seconds) each")
    let units = problem.orders.map(\.quantity)
    let pooledShare = Double(problem.orders.filter { $0.pool != nil }.count) / Double(max(1, problem.orders.count))
    print(String(format: "  orders: %d of %d-%d units (%d in all), %.0f%% in %d pools", units.count, units.min() ?? 0, units.max() ?? 0,
                 units.reduce(0, +), 100 * pooledShare, Set(problem.orders.compactMap(\.pool)).count))
    let pooledFixed = part(problem, "pooled  ")
    let aloneFixed = part(alone, "no pools")
    print(String(format: "  set-up + batch cost: pooled %lld vs no pools %lld: %.1f%% lower", pooledFixed, aloneFixed,
                 100 * (1 - Double(pooledFixed) / Double(max(1, aloneFixed)))))
    let (pooledLow, aloneLow) = fixedCostBounds(problem)
    print(String(format: "  lower bounds on set-up + batch cost (every order served): pooled %lld, no pools %lld; so pooling can cut it by at most %.1f%% against the no-pools plan above (%.1f%% against the no-pools bound)",
                 pooledLow, aloneLow, 100 * (1 - Double(pooledLow) / Double(max(1, aloneFixed))), 100 * (1 - Double(pooledLow) / Double(max(1, aloneLow)))))
}

/// Lower bounds on set-up + batch cost of any plan serving every order, with the pools and with
/// every order alone: each order pays at least the least setup of a factory it may use; an order
/// alone at least one batch there (⌈quantity / batch units⌉ of them); an order in a pool at least
/// its units × the least batch cost per unit (batch cost / batch units) of its factories.
func fixedCostBounds(_ p: Scheduling.Problem) -> (pooled: Int64, alone: Int64) {
    var eligible = [Set<Int>](repeating: [], count: p.orders.count)
    for (o, order) in p.orders.enumerated() {
        for slot in p.slots where Scheduling.isEligible(order: order, slot: slot, factory: p.factories[slot.factory], asOf: p.asOf) {
            eligible[o].insert(slot.factory)
        }
    }
    var maxSlot = [Int](repeating: 1, count: p.factories.count)
    for slot in p.slots { maxSlot[slot.factory] = max(maxSlot[slot.factory], slot.units) }
    var pooled = 0.0, alone = 0.0
    for (o, order) in p.orders.enumerated() where !eligible[o].isEmpty {
        let fs = eligible[o]
        let setup = Double(fs.map { p.factories[$0].setupCost }.min()!)
        let solo = Double(fs.map { f in p.factories[f].batchCost * Int64(Scheduling.batchCount(units: order.quantity, batchUnits: p.factories[f].batchUnits ?? maxSlot[f])) }.min()!)
        alone += setup + solo
        if order.pool != nil {
            let perUnit = fs.map { f in Double(p.factories[f].batchCost) / Double(p.factories[f].batchUnits ?? maxSlot[f]) }.min()!
            pooled += setup + Double(order.quantity) * perUnit
        } else {
            pooled += setup + solo
        }
    }
    return (Int64(pooled.rounded(.down)), Int64(alone.rounded(.down)))
}

/// The exact step's solver, as in `weft serve`: weft-mip-worker (CBC) built beside this binary;
/// `--exact off` for none.
func mipSolver(_ args: [String]) -> (any MIPSolver)? {
    if flag("exact", args) == "off" { return nil }
    guard var solver = ProcessMIPSolver.besideExecutable() else {
        print("WARNING: weft-mip-worker not found beside solver-bench: no exact step")
        return nil
    }
    if let parameters = flag("cbc", args) { solver.parameters = parameters.split(separator: ",").map(String.init) }
    if args.first == "run", let dump = flag("dump-mip", args) { return RecordingMIPSolver(solver, folder: dump, prefix: "run") }
    return solver
}

let args = Array(CommandLine.arguments.dropFirst())
switch args.first {
case "placement": if args.contains("--pooled") { pooledPlacementBench(args) } else { placementBench() }
case "run": runInstance(args)
case "multi": runMulti(args)
case "verify": verifyPlan(args)
case "pool-compare": poolCompare(args)
case "sweep": runSweep(args)
case "mip": replayMIP(args)
default:
    print("""
    usage: solver-bench placement [--pooled [--orders N] [--seed S]]
           solver-bench run [--shape tiny-orders|large-orders|overloaded|mixed|pooled|pcb-sample] [--orders N] [--factories N] [--days N]
                            [--seed S] [--time SECONDS] [--start-plan] [--bound-time SECONDS] [--export FILE.json]
                            [--exact off] [--cbc name=value,...]
           solver-bench multi [--capabilities N] [--workers N] [--bound-after] (+ run's instance flags)
           solver-bench verify --plan PLAN.json (+ the instance flags used to export it)
           solver-bench pool-compare [--time SECONDS] (+ run's instance flags; pooled shapes)
           solver-bench sweep [--count 30] [--time SECONDS] [--seed S] [--dir DIR] [--label NAME] [--exact-limit COLUMNS] [--stagnant-share F]
                              [--dump-mip DIR] (small instances of every shape; small_sweep.py compares them with CP-SAT)
           solver-bench mip FILE.mip [--seconds S] [--cbc name=value,...] [--no-start] [--nodes N] [--restart S1]   (a recorded MIP again; --restart: S1 seconds, then the rest from its plan)
    """)
}
