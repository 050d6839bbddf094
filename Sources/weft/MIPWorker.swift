import Foundation
import Logging
import WeftCore
import WeftMIP

/// The exact step's solver for `serve` and `demo`: CBC in `weft-mip-worker`, a child process
/// per solve. `WEFT_MIP_WORKER` names the worker's path, or `off` for no exact step; unset,
/// the worker installed beside `weft` (when there is none, runs go without the exact step).
enum MIPWorker {
    static func solver(logger: Logger) -> (any MIPSolver)? {
        let setting = ProcessInfo.processInfo.environment["WEFT_MIP_WORKER"]?.trimmingCharacters(in: .whitespaces) ?? ""
        if setting.lowercased() == "off" {
            logger.info("exact step off (WEFT_MIP_WORKER=off)")
            return nil
        }
        if !setting.isEmpty {
            guard FileManager.default.isExecutableFile(atPath: setting) else {
                logger.warning("WEFT_MIP_WORKER is not an executable file: runs go without the exact step", metadata: ["path": "\(setting)"])
                return nil
            }
            return ProcessMIPSolver(executable: setting)
        }
        guard let beside = ProcessMIPSolver.besideExecutable() else {
            logger.warning("weft-mip-worker not found beside weft: runs go without the exact step (set WEFT_MIP_WORKER)")
            return nil
        }
        return beside
    }
}
