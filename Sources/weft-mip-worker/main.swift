// weft-mip-worker: solves one mixed-integer program with CBC and exits. The server starts one
// per exact solve (WeftMIP's ProcessMIPSolver), writes the problem on stdin (WeftCore's wire
// format, Scheduling.MIPProblem), closes it and reads the result on stdout; it kills the worker
// when it overruns its time limit. A crash in CBC therefore ends this process, not the server.
// Exit status: 0 answered, 2 unreadable input, 3 could not write the answer.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeftCore
import CCbc   // prctl (Linux)

#if os(Linux)
// Die with the server: no orphan keeps solving after it is gone.
_ = weft_die_with_parent()
#endif

/// All of stdin.
func readInput() -> [UInt8] {
    var data: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n > 0 { data += buffer[0..<n]; continue }
        if n < 0 && errno == EINTR { continue }
        return data
    }
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var at = 0
    while at < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + at, $0.count - at) }
        if n > 0 { at += n } else if n < 0 && errno == EINTR { continue } else { return false }
    }
    return true
}

guard let problem = Scheduling.MIPProblem(decoding: readInput()) else { exit(2) }
// CBC may print to stdout whatever its log level: keep the answer's channel to ourselves.
let answer = dup(1)
let devNull = open("/dev/null", O_WRONLY)
if answer < 0 || devNull < 0 { exit(3) }
dup2(devNull, 1)
let result = solveWithCBC(problem)
exit(writeAll(answer, result.encoded()) ? 0 : 3)
