import Foundation
import Testing
import WeftTestSupport

/// The built `weft` binary refuses a bad setting before it does anything else: exit status 64
/// and exactly one line on stderr naming the variable and its range. No database is needed:
/// start-up stops before connecting.
@Suite("weft serve with a bad environment variable")
struct ServeStartupTests {
    /// `weft` is built next to the test bundle (`swift build --build-tests` builds every product).
    static func binary() throws -> URL {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL, Bundle.main.executableURL]
            .compactMap { $0?.deletingLastPathComponent().appendingPathComponent("weft") }
        return try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) },
                            "no built weft binary next to the tests (looked at \(candidates.map(\.path)))")
    }

    @Test(arguments: [
        ("WEFT_PORT", "80a", "weft: WEFT_PORT=80a is not allowed: must be a whole number from 0 to 65535"),
        ("WEFT_DB_POOL_SIZE", "0", "weft: WEFT_DB_POOL_SIZE=0 is not allowed: must be a whole number from 1 to 500"),
        ("WEFT_FREEZE_DAYS", "100000", "weft: WEFT_FREEZE_DAYS=100000 is not allowed: must be a whole number from 0 to 365"),
        ("WEFT_LOG_LEVEL", "loud", "weft: WEFT_LOG_LEVEL=loud is not allowed: must be one of trace, debug, info, notice, warning, error, critical"),
        ("WEFT_MIP_WORKER", "/nonexistent/weft-mip-worker",
         "weft: WEFT_MIP_WORKER=/nonexistent/weft-mip-worker is not allowed: must be off or the path of an executable file"),
    ])
    func badVariableStopsStartUpWithOneLine(_ name: String, _ value: String, _ line: String) async throws {
        let binary = try Self.binary()
        // Started and waited for on a Dispatch thread: a blocking wait here would hold one of the
        // two cooperative threads every other test (and server under test) needs, for as long
        // as a debug binary takes to start on a loaded machine.
        let (status, reason, errorText, outputText) = try await offCooperativePool { try Self.run(binary, name, value) }
        #expect(reason == .exit)
        #expect(status == 64)
        #expect(errorText == line + "\n")
        #expect(outputText.isEmpty)
    }

    static func run(_ binary: URL, _ name: String, _ value: String) throws -> (Int32, Process.TerminationReason, String, String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["serve", "--no-migrate"]
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("WEFT_") }
        environment[name] = value
        // Nothing may be reached if start-up went on: a port nobody listens on.
        environment["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1"
        process.environment = environment
        let stderr = Pipe(), stdout = Pipe()
        process.standardError = stderr
        process.standardOutput = stdout
        try process.run()
        let errorText = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let outputText = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason, errorText, outputText)
    }
}
