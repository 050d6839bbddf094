// The small-instance sweep: many random small instances of every shape, solved by Weft, each
// exported for the CP-SAT reference (benchmarks/small_sweep.py compares the two).
import Foundation
import WeftCore

/// The sweep's instance `i`: 10–40 orders, 3–8 factories, 4–8 days, shapes in turn.
func sweepSpec(_ i: Int, base: UInt64) -> Scheduling.InstanceSpec {
    var rng = Scheduling.SeededRandom(seed: base &* 7919 &+ UInt64(i))
    let shapes = Scheduling.InstanceShape.allCases
    return Scheduling.InstanceSpec(shape: shapes[i % shapes.count], orders: rng.int(in: 10...40),
                                   factories: rng.int(in: 3...8), days: rng.int(in: 4...8), seed: base &+ UInt64(i))
}

func runSweep(_ args: [String]) {
    let count = Int(flag("count", args) ?? "30")!
    let seconds = Double(flag("time", args) ?? "2")!
    let base = UInt64(flag("seed", args) ?? "1")!
    let exactLimit = Int(flag("exact-limit", args) ?? "30000")!
    let dir = flag("dir", args)
    if let dir { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    var results: [[String: Any]] = []
    var optimal = 0, fellBack = 0
    let t0 = now()
    let only = flag("only", args).map { Set($0.split(separator: ",").map { Int($0)! }) }
    for i in 0..<count where only?.contains(i) ?? true {
        let spec = sweepSpec(i, base: base)
        let problem = Scheduling.generateInstance(spec)
        var options = Scheduling.SolverOptions(timeLimit: .milliseconds(Int(seconds * 1000)), seed: spec.seed,
                                               workers: Int(flag("workers", args) ?? "2")!)
        options.exactColumnLimit = exactLimit
        if let share = flag("stagnant-share", args) { options.stagnantSearchShare = Double(share)! }
        options.mipSolver = mipSolver(args)
        if let dump = flag("dump-mip", args), let inner = options.mipSolver {
            options.mipSolver = RecordingMIPSolver(inner, folder: dump, prefix: String(format: "s%02d", i))
        }
        let s0 = now()
        let r = Scheduling.solve(problem, options: options)
        let elapsed = now() - s0
        if r.optimal { optimal += 1 }
        if r.fellBack { fellBack += 1 }
        let name = String(format: "s%02d", i)
        let greedy = Scheduling.verify(problem, plan: Scheduling.naiveGreedy(problem), start: problem.allocations).score
        print(String(format: "%@ %-12@ %2dx%dx%d: weft %@ hard %d bound %@ (%@) optimal %@ | %.2fs (exact %.2fs, %d nodes)",
                     name, spec.shape.rawValue, spec.orders, spec.factories, spec.days, fmt(r.scoreAfter), r.scoreAfter.hard,
                     r.bound.map { "(\($0.unserved), \($0.cost))" } ?? "-", r.boundMethod?.rawValue ?? "-",
                     r.optimal ? "yes" : "no", elapsed, r.exactSeconds, r.exactNodes))
        if let dir {
            exportInstance(problem, spec: spec, weft: r, greedy: greedy, to: "\(dir)/\(name).json", quiet: true)
        }
        results.append(["name": name, "shape": spec.shape.rawValue, "orders": spec.orders, "factories": spec.factories,
                        "days": spec.days, "unserved": r.scoreAfter.unserved, "cost": r.scoreAfter.cost,
                        "hard": r.scoreAfter.hard, "optimal": r.optimal, "seconds": elapsed,
                        "bound": r.bound.map { ["unserved": $0.unserved, "cost": $0.cost] } ?? [:]])
    }
    print(String(format: "sweep: %d instances, limit %.1fs: proven optimal %d, fell back %d, total %.1fs", count, seconds,
                 optimal, fellBack, now() - t0))
    if let dir {
        let label = flag("label", args) ?? String(format: "weft-%gs", seconds)
        let data = try! JSONSerialization.data(withJSONObject: ["time": seconds, "results": results], options: [.sortedKeys])
        try! data.write(to: URL(fileURLWithPath: "\(dir)/\(label).json"))
        print("  wrote \(dir)/\(label).json")
    }
}
