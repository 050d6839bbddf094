// The exact step's MIPs, one at a time: record them during a sweep (`sweep --dump-mip DIR`)
// and solve a recorded one again with other limits or CBC settings (`mip FILE ...`), to see
// where CBC spends its time.
import Foundation
import WeftCore
import WeftMIP

/// Passes every problem to `inner` after writing it to `folder` (`<prefix>-<n>.mip`).
final class RecordingMIPSolver: MIPSolver, @unchecked Sendable {
    let inner: any MIPSolver
    let folder: String
    let prefix: String
    private let lock = NSLock()
    private var count = 0

    init(_ inner: any MIPSolver, folder: String, prefix: String) {
        self.inner = inner
        self.folder = folder
        self.prefix = prefix
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func solve(_ problem: Scheduling.MIPProblem) -> Scheduling.MIPResult {
        let n = lock.withLock { count += 1; return count }
        let path = "\(folder)/\(prefix)-\(n).mip"
        FileManager.default.createFile(atPath: path, contents: Data(problem.encoded()))
        let t0 = now()
        let r = inner.solve(problem)
        print(String(format: "    mip %@: %d cols, %d rows, %.2fs limit → %.2fs, obj %@, bound %@, proven %@, %d nodes%@",
                     path, problem.columnCount, problem.rowCount, problem.seconds, now() - t0,
                     r.objective.map { String(format: "%.1f", $0) } ?? "-", r.bestBound.map { String(format: "%.1f", $0) } ?? "-",
                     r.proven ? "yes" : "no", r.nodes, r.failure.map { " FAILED \($0)" } ?? ""))
        return r
    }
}

/// `mip FILE [--seconds S] [--cbc a=b,c=d] [--no-start]`: solves a recorded problem again.
func replayMIP(_ args: [String]) {
    guard args.count > 1, let data = FileManager.default.contents(atPath: args[1]),
          var problem = Scheduling.MIPProblem(decoding: [UInt8](data)) else { print("usage: solver-bench mip FILE.mip [--seconds S] [--cbc name=value,...]"); return }
    if let s = flag("seconds", args) { problem.seconds = Double(s)! }
    if let p = flag("cbc", args) { problem.parameters = p.split(separator: ",").map(String.init) }
    if args.contains("--no-start") { problem.start = nil }
    if let n = flag("nodes", args) { problem.nodeLimit = Int(n)! }
    guard var solver = ProcessMIPSolver.besideExecutable() else { print("no weft-mip-worker beside solver-bench"); return }
    solver.grace = .seconds(60)
    let integers = problem.integer.filter { $0 }.count
    if let first = flag("restart", args).map({ Double($0)! }) {
        // A first leg of `first` seconds, then the rest seeded with its plan (a restart with a better start).
        var leg = problem
        leg.seconds = first
        let t0 = now()
        let r = solver.solve(leg)
        print(String(format: "  leg 1 (%.1fs) → %.2fs: obj %@, bound %@, proven %@, %d nodes", first, now() - t0,
                     r.objective.map { String(format: "%.1f", $0) } ?? "-", r.bestBound.map { String(format: "%.1f", $0) } ?? "-",
                     r.proven ? "yes" : "no", r.nodes))
        if let values = r.values { problem.start = values }
        problem.seconds = max(0.01, problem.seconds - first)
    }
    let t0 = now()
    let r = solver.solve(problem)
    print(String(format: "%@: %d cols (%d integer), %d rows, %d nonzeros, start %@, limit %.1fs%@ → %.2fs: obj %@, bound %@, proven %@, %d nodes%@",
                 args[1], problem.columnCount, integers, problem.rowCount, problem.rowIndex.count, problem.start == nil ? "no" : "yes",
                 problem.seconds, problem.parameters.isEmpty ? "" : " " + problem.parameters.joined(separator: ","), now() - t0,
                 r.objective.map { String(format: "%.1f", $0) } ?? "-", r.bestBound.map { String(format: "%.1f", $0) } ?? "-",
                 r.proven ? "yes" : "no", r.nodes, r.failure.map { " FAILED \($0)" } ?? ""))
}
