#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WeftCore

/// Solves the exact step's programs in a child process (`weft-mip-worker`, which runs CBC), one
/// process per solve: the problem goes to its stdin, the answer comes back on its stdout, and
/// the process is killed (SIGKILL) when it has not answered `grace` after the problem's time
/// limit. A worker that crashes (CBC once segfaulted inside its cut library), hangs, exits
/// with an error or answers garbage costs only that solve: the result is
/// ``Scheduling/MIPResult/nothing`` with `lastFailure` saying why, and the run keeps its
/// heuristic plan. Solves may run at once (each has its own process).
public struct ProcessMIPSolver: MIPSolver {
    /// The worker's path and its arguments (after argv[0]).
    public var executable: String
    public var arguments: [String]
    /// How long past the problem's time limit the worker may take to answer.
    public var grace: Duration
    /// Settings added to every problem (CBC parameters, `name=value`).
    public var parameters: [String]

    /// CBC settings of the exact step: at most 5 rounds of cuts at the root. CBC's default
    /// (up to 20–100 rounds on small models) spent most of a 2 s solve there on the sweep's
    /// MIPs; with 5 rounds it reached better plans on 7 of 14 unproven ones in the same CPU time
    /// and proved s15 in a third of it, its bounds within 0.5 % of the default's (3.8 % on one)
    /// (benchmarks/README.md, "Small instances").
    public static let defaultParameters = ["passCuts=5"]

    public init(executable: String, arguments: [String] = [], grace: Duration = .milliseconds(300),
                parameters: [String] = ProcessMIPSolver.defaultParameters) {
        self.executable = executable
        self.arguments = arguments
        self.grace = grace
        self.parameters = parameters
    }

    /// The worker installed beside the running executable (`weft-mip-worker` in the same
    /// folder as `weft`, or as the test runner in a build folder); nil when there is none.
    public static func besideExecutable(named name: String = "weft-mip-worker") -> ProcessMIPSolver? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let path = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = path.lastIndex(of: "/") else { return nil }
        let candidate = String(path[..<slash]) + "/" + name
        return access(candidate, X_OK) == 0 ? ProcessMIPSolver(executable: candidate) : nil
    }

    public func solve(_ problem: Scheduling.MIPProblem) -> Scheduling.MIPResult {
        let (result, failure) = solveReporting(problem)
        guard let failure else { return result }
        var failed = result
        failed.failure = "the MIP worker \(executable): \(failure)"
        return failed
    }

    /// Why a solve produced nothing.
    public enum Failure: Error, Equatable, Sendable {
        case spawn(errno: Int32)
        /// No complete answer by the time limit plus grace: killed.
        case killed
        case signal(Int32)
        case exit(Int32)
        case garbled
    }

    /// `solve`, with the reason when it produced nothing.
    public func solveReporting(_ problem: Scheduling.MIPProblem) -> (result: Scheduling.MIPResult, failure: Failure?) {
        var problem = problem
        problem.parameters = parameters + problem.parameters
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .milliseconds(Int64(max(0, problem.seconds) * 1000)) + grace)
        let input = problem.encoded()

        var fds: [Int32] = [-1, -1]
        #if os(Linux)
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let kind = SOCK_STREAM
        #endif
        guard socketpair(AF_UNIX, kind, 0, &fds) == 0 else { return (.nothing, .spawn(errno: errno)) }
        let mine = fds[0], theirs = fds[1]
        defer { close(mine) }

        // The child's stdin and stdout are its end of the socket; stderr goes nowhere.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, theirs, 0)
        posix_spawn_file_actions_adddup2(&actions, theirs, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Default signal handling and an empty mask, whatever the server set for itself.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t(), none = sigset_t()
        sigfillset(&all)
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(theirs)
        guard spawned == 0 else { return (.nothing, .spawn(errno: spawned)) }

        var killed = false
        let output = exchange(mine, input: input, deadline: deadline, clock: clock)
        if output == nil {
            kill(pid, SIGKILL)
            killed = true
        }
        // It has closed its end (exited) or been killed; reap it. A worker that closed stdout
        // but lingers is killed at the deadline too.
        var status: Int32 = 0
        while true {
            let r = waitpid(pid, &status, killed ? 0 : WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if r == 0 {
                if clock.now >= deadline { kill(pid, SIGKILL); killed = true } else { usleep(2_000) }
            }
        }
        if killed { return (.nothing, .killed) }
        let signalled = status & 0x7f
        if signalled != 0 { return (.nothing, .signal(signalled)) }
        let code = (status >> 8) & 0xff
        if code != 0 { return (.nothing, .exit(code)) }
        guard let output, let result = Scheduling.MIPResult(decoding: output, columns: problem.columnCount) else {
            return (.nothing, .garbled)
        }
        return (result, nil)
    }

    #if os(Linux)
    private static let noSignal = Int32(MSG_NOSIGNAL)
    #else
    private static let noSignal: Int32 = 0
    #endif

    /// Writes `input` then reads until the worker closes its end; nil when the deadline passes
    /// first. Non-blocking with poll, so a worker that stops reading or never answers cannot
    /// hold the caller past the deadline.
    private func exchange(_ fd: Int32, input: [UInt8], deadline: ContinuousClock.Instant, clock: ContinuousClock) -> [UInt8]? {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var written = 0
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var shut = false
        while true {
            let left = clock.now.duration(to: deadline)
            guard left > .zero else { return nil }
            if written == input.count && !shut {
                shutdown(fd, Int32(SHUT_WR))
                shut = true
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN) | (shut ? 0 : Int16(POLLOUT)), revents: 0)
            let ms = Int32(clamping: max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            let ready = poll(&pfd, 1, ms)
            if ready < 0 { if errno == EINTR { continue }; return nil }
            if ready == 0 { continue }
            if !shut && pfd.revents & Int16(POLLOUT) != 0 {
                let n = input.withUnsafeBytes { send(fd, $0.baseAddress! + written, min(1 << 20, $0.count - written), Self.noSignal) }
                if n > 0 { written += n } else if n < 0 && errno != EAGAIN && errno != EINTR {
                    // The worker is gone before reading everything: read what it said (nothing).
                    written = input.count
                }
            }
            if pfd.revents & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0 {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { output += buffer[0..<n] } else if n == 0 { return output } else if errno != EAGAIN && errno != EINTR { return output }
            }
        }
    }
}
