#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Where log lines go in production: a lock-free hand-off to one background writer thread.
///
/// A thread that logs pushes its finished line onto a lock-free stack (one allocation and one
/// compare-and-swap); the writer takes the whole stack every ``interval`` and writes it with
/// one `write(2)`. Logging therefore takes no lock and makes no system call on the event loops
/// or Swift's cooperative threads, which is what swift-log's stream handler did for every line
/// (`flockfile`, `fwrite`, `fflush`, and a `localtime` that may `stat` the time zone file).
///
/// Lines are written in the order they were pushed. ``flush()`` writes everything pushed so
/// far before it returns; ``shutdown()`` stops the writer and flushes, and a process that
/// exits normally flushes from an `atexit` handler, so lines are not lost at shutdown.
/// Should the output stall (a full pipe nobody reads), lines beyond ``maxPendingBytes`` are
/// dropped and counted rather than grown without bound; the count is written when the output
/// moves again.
public final class LogSink: Sendable {
    /// The sink behind `weft`'s log handlers: standard error.
    public static let standardError = LogSink(fileDescriptor: 2)

    /// How often the writer thread wakes to write what has gathered.
    public let interval: Duration
    /// Bytes waiting beyond which new lines are dropped (and counted).
    public let maxPendingBytes: Int

    private let fileDescriptor: Int32
    private let head = Atomic<Unmanaged<Line>?>(nil)
    private let pendingBytes = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    /// Held by whoever takes and writes a batch (the writer thread or ``flush()``), never by
    /// a thread that logs: it keeps batches in order.
    private let writing = Mutex<Void>(())
    private let state = Mutex<WriterState>(.notStarted)

    private enum WriterState { case notStarted, running, stopped }

    /// One pushed line; `next` is the line pushed before it. `next` is written only before the
    /// line is published (by the compare-and-swap) and read only after the whole stack was taken.
    private final class Line: @unchecked Sendable {
        let bytes: [UInt8]
        var next: Unmanaged<Line>?
        init(_ bytes: [UInt8]) { self.bytes = bytes }
    }

    /// A sink writing to `fileDescriptor` (not closed by the sink).
    public init(fileDescriptor: Int32, interval: Duration = .milliseconds(50), maxPendingBytes: Int = 64 << 20) {
        self.fileDescriptor = fileDescriptor
        self.interval = interval
        self.maxPendingBytes = maxPendingBytes
    }

    deinit {
        var node = head.exchange(nil, ordering: .acquiring)
        while let current = node {
            node = current.takeRetainedValue().next
        }
    }

    /// Queues one line (its bytes should end with a newline). Lock-free; never blocks.
    public func enqueue(_ bytes: [UInt8]) {
        let size = bytes.count
        if pendingBytes.wrappingAdd(size, ordering: .relaxed).newValue > maxPendingBytes {
            pendingBytes.wrappingSubtract(size, ordering: .relaxed)
            dropped.wrappingAdd(1, ordering: .relaxed)
            return
        }
        let line = Line(bytes)
        let node = Unmanaged.passRetained(line)
        var expected = head.load(ordering: .relaxed)
        while true {
            line.next = expected
            let (exchanged, current) = head.compareExchange(
                expected: expected, desired: node, successOrdering: .releasing, failureOrdering: .relaxed)
            if exchanged { return }
            expected = current
        }
    }

    /// Starts the background writer (once; later calls do nothing) and registers the
    /// process-exit flush. Until it runs, lines wait for ``flush()``.
    public func start() {
        let start = state.withLock { state -> Bool in
            guard case .notStarted = state else { return false }
            state = .running
            return true
        }
        guard start else { return }
        let thread = Thread { [self] in
            let microseconds = UInt32(clamping: interval.components.seconds * 1_000_000
                + interval.components.attoseconds / 1_000_000_000_000)
            while state.withLock({ if case .running = $0 { true } else { false } }) {
                usleep(microseconds)
                flush()
            }
        }
        thread.name = "weft-log-writer"
        thread.start()
        if self === LogSink.standardError {
            atexit { LogSink.standardError.flush() }
        }
    }

    /// Stops the background writer and writes everything queued so far.
    public func shutdown() {
        state.withLock { $0 = .stopped }
        flush()
    }

    /// Writes every line queued before the call, in order, before returning.
    public func flush() {
        writing.withLock { _ in
            var batch: [UInt8] = []
            let lost = dropped.exchange(0, ordering: .relaxed)
            if lost > 0 {
                batch.append(contentsOf: "log sink: \(lost) lines dropped because the log output was not being read\n".utf8)
            }
            var lines: [Line] = []
            var node = head.exchange(nil, ordering: .acquiring)
            while let current = node {
                let line = current.takeRetainedValue()
                lines.append(line)
                node = line.next
            }
            guard !lines.isEmpty || !batch.isEmpty else { return }
            var size = 0
            for line in lines { size += line.bytes.count }
            batch.reserveCapacity(batch.count + size)
            for line in lines.reversed() { batch.append(contentsOf: line.bytes) }
            pendingBytes.wrappingSubtract(size, ordering: .relaxed)
            Self.writeAll(batch, to: fileDescriptor)
        }
    }

    private static func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0, errno == EINTR {
                    continue
                } else if written < 0, errno == EAGAIN {
                    usleep(1000)  // a non-blocking output that is full: wait for it to drain
                } else {
                    return  // a closed or broken output: nothing better to do with the lines
                }
            }
        }
    }
}
