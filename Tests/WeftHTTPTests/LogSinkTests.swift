import Foundation
import Logging
import Testing
@testable import WeftHTTP

/// The production log path: lines handed to a background writer, none lost at shutdown.
@Suite("Log sink: lock-free hand-off, nothing lost at shutdown")
struct LogSinkTests {
    /// A temporary file's descriptor, and a way to read what was written to it.
    final class Output {
        let path: String
        let descriptor: Int32

        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-log-\(UUID().uuidString)").path
            descriptor = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
            guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        }

        var lines: [String] {
            ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        deinit {
            close(descriptor)
            unlink(path)
        }
    }

    @Test func linesLoggedFromManyThreadsRightBeforeShutdownAreAllWrittenInEachThreadsOrder() throws {
        let output = try Output()
        // The writer would not wake for a minute: only the shutdown flush can write these.
        let sink = LogSink(fileDescriptor: output.descriptor, interval: .seconds(60))
        sink.start()
        let logger = Logger(label: "weft.test") { SinkLogHandler(label: $0, sink: sink, logLevel: .info) }
        // Dispatch's threads, not Swift's cooperative pool: eight writers at once, a few ms.
        DispatchQueue.concurrentPerform(iterations: 8) { task in
            for line in 0..<500 {
                logger.info("line \(line)", metadata: ["task": "\(task)"])
            }
        }
        #expect(output.lines.isEmpty)
        sink.shutdown()
        let lines = output.lines
        #expect(lines.count == 8 * 500)
        for task in 0..<8 {
            let mine = lines.filter { $0.contains(" task=\(task) ") }
            #expect(mine.map { String($0.split(separator: " ").last!) } == (0..<500).map(String.init))
        }
    }

    @Test func theWriterWritesOnItsOwnAndFlushWritesAtOnce() async throws {
        let output = try Output()
        let sink = LogSink(fileDescriptor: output.descriptor, interval: .milliseconds(10))
        sink.start()
        sink.enqueue(Array("first\n".utf8))
        // Written by the background thread without any flush; bounded wait, no timing claim.
        let clock = ContinuousClock()
        let start = clock.now
        while output.lines != ["first"], start.duration(to: clock.now) < .seconds(10) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(output.lines == ["first"])
        sink.shutdown()
        sink.enqueue(Array("second\n".utf8))
        sink.flush()
        #expect(output.lines == ["first", "second"])
    }

    @Test func linesHaveTheStreamHandlersShapeWithSortedMetadata() throws {
        let output = try Output()
        let sink = LogSink(fileDescriptor: output.descriptor)
        var logger = Logger(label: "weft.http") { SinkLogHandler(label: $0, sink: sink, logLevel: .info) }
        logger[metadataKey: "request_id"] = "abc"
        logger.debug("hidden")
        logger.info("GET / 200", metadata: ["http.status": "200", "bytes_in": "0"])
        sink.flush()
        let line = try #require(output.lines.first)
        #expect(output.lines.count == 1)
        let pattern = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000 info weft\.http: bytes_in=0 http\.status=200 request_id=abc \[WeftHTTPTests\] GET \/ 200$/#
        #expect(line.wholeMatch(of: pattern) != nil, "\(line)")
    }

    @Test func theAccessLogsDirectLineIsTheLineTheGenericPathWrites() throws {
        let direct = try Output(), generic = try Output()
        let directSink = LogSink(fileDescriptor: direct.descriptor), genericSink = LogSink(fileDescriptor: generic.descriptor)
        var logger = Logger(label: "weft.http") { SinkLogHandler(label: $0, sink: directSink, logLevel: .info) }
        logger[metadataKey: "zone"] = "a"  // the handler's own metadata is merged in, sorted
        let entry = AccessLog.Entry(
            method: "GET", path: "/v1/x", route: "/v1/x", status: .ok, startedAt: .now(), requestID: "r1",
            bytesIn: 3, bytesOut: 15, remoteAddress: "127.0.0.1:5", extra: ["auth.role": "admin", "http.status": "999"]
        )
        AccessLog.record(entry, logger: logger)
        directSink.flush()
        let line = try #require(direct.lines.first)
        // The same fields through swift-log's generic path (a dictionary, sorted by the handler).
        let fields = line.split(separator: " [WeftHTTP] ")[0].split(separator: " ").dropFirst(3)
        var metadata = Logger.Metadata()
        for field in fields where !field.hasPrefix("zone=") {
            let parts = field.split(separator: "=", maxSplits: 1)
            metadata[String(parts[0])] = .string(String(parts[1]))
        }
        var genericLogger = Logger(label: "weft.http") { SinkLogHandler(label: $0, sink: genericSink, logLevel: .info) }
        genericLogger[metadataKey: "zone"] = "a"
        let message = String(line.split(separator: " [WeftHTTP] ")[1])
        genericLogger.info("\(message)", metadata: metadata, source: "WeftHTTP")
        genericSink.flush()
        #expect(generic.lines.first.map { $0.dropFirst(24) } == line.dropFirst(24))  // past the timestamps
        #expect(line.contains(" auth.role=admin bytes_in=3 bytes_out=15 http.method=GET http.path=/v1/x http.route=/v1/x http.status=200 latency_ms="))
        #expect(line.contains(" remote=127.0.0.1:5 request_id=r1 zone=a [WeftHTTP] GET /v1/x 200 "))
    }

    @Test func latencyIsWrittenAsStringOfDoubleWouldWriteIt() {
        var samples: [Int64] = [0, 1, 4_999, 5_000, 5_001, 9_999, 10_000, 50_000, 99_999, 100_000, 123_456, 1_000_000, 1_005_000,
                                12_340_000, 12_345_678, 999_994_999, 1_000_000_000, 86_400_000_000_000]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 { samples.append(Int64.random(in: 0...10_000_000_000, using: &generator)) }
        for nanoseconds in samples {
            let milliseconds = Double(nanoseconds) / 1_000_000
            #expect(AccessLog.milliseconds(nanoseconds) == String((milliseconds * 100).rounded() / 100), "\(nanoseconds)")
        }
    }

    @Test func anOutputNobodyReadsDropsAndCountsLinesInsteadOfGrowing() throws {
        let output = try Output()
        let sink = LogSink(fileDescriptor: output.descriptor, maxPendingBytes: 100)
        for index in 0..<20 {
            sink.enqueue(Array("line \(index) of twenty\n".utf8))
        }
        sink.flush()
        let lines = output.lines
        #expect(lines.first?.hasPrefix("log sink: ") == true)
        #expect(lines.dropFirst().count < 20)
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("line ") })
    }
}
