import Foundation
import Logging
import WeftAPI
import WeftCore
import WeftMIP

/// The exact step's solver for `serve` and `demo`: CBC in `weft-mip-worker`, a child process
/// per solve. `WEFT_MIP_WORKER` (checked in ``Settings``: a bad value stops start-up) names the
/// worker's path, or `off` for no exact step; unset, the worker installed beside `weft` (when
/// there is none, runs go without the exact step, with a warning).
enum MIPWorker {
    static func solver(_ setting: Settings.MIPWorkerSetting, logger: Logger) -> (any MIPSolver)? {
        switch setting {
        case .off:
            logger.info("exact step off (WEFT_MIP_WORKER=off)")
            return nil
        case .path(let path):
            return ProcessMIPSolver(executable: path)
        case .besideWeft:
            guard let beside = ProcessMIPSolver.besideExecutable() else {
                logger.warning("weft-mip-worker not found beside weft: runs go without the exact step (set WEFT_MIP_WORKER)")
                return nil
            }
            return beside
        }
    }
}
