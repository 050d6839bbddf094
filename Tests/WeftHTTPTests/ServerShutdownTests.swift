import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Testing
import WeftHTTP

/// Lets a test hold a handler in flight and release it at the right moment.
private actor Gate {
    private var entered = false
    private var enteredWaiters: [CheckedContinuation<Void, Never>] = []
    private var open = false
    private var openWaiters: [CheckedContinuation<Void, Never>] = []

    /// Called by the handler: signals that it is running, then waits for `open()`.
    func pass() async {
        self.entered = true
        self.enteredWaiters.forEach { $0.resume() }
        self.enteredWaiters.removeAll()
        if self.open { return }
        await withCheckedContinuation { self.openWaiters.append($0) }
    }

    func waitUntilEntered() async {
        if self.entered { return }
        await withCheckedContinuation { self.enteredWaiters.append($0) }
    }

    func release() {
        self.open = true
        self.openWaiters.forEach { $0.resume() }
        self.openWaiters.removeAll()
    }
}

private func connectionRefused(port: Int) async -> Bool {
    do {
        let client = try await RawConnection.connect(port: port)
        try? await client.asyncChannel.executeThenClose { _, _ in }
        return false
    } catch {
        return true
    }
}

@Suite("Server shutdown")
struct ServerShutdownTests {
    @Test func gracefulShutdownFinishesInFlightRequestsAndRefusesNewOnes() async throws {
        let gate = Gate()
        var routes = RouterBuilder()
        routes.on(.GET, "/held") { _ in
            await gate.pass()
            try await Task.sleep(for: .milliseconds(50))
            return .text("finished")
        }
        routes.on(.GET, "/quick") { _ in .text("quick") }

        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let server = HTTPServer(
            configuration: .test(),
            responder: routes.build(),
            logger: quietLogger,
            onListening: { portContinuation.yield($0) }
        )
        let group = ServiceGroup(services: [server], logger: quietLogger)

        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var portIterator = ports.makeAsyncIterator()
            let port = try #require(await portIterator.next())

            try await RawConnection.with(port: port) { idle in
                try await idle.send(httpRequest("GET", "/quick"))
                #expect(try await idle.readResponse()?.text == "quick")

                try await RawConnection.with(port: port) { busy in
                    try await busy.send(httpRequest("GET", "/held"))
                    await gate.waitUntilEntered()

                    await group.triggerGracefulShutdown()

                    // The listener closes promptly while the request is still held.
                    var refused = false
                    for _ in 0..<100 where !refused {
                        refused = await connectionRefused(port: port)
                        if !refused { try await Task.sleep(for: .milliseconds(10)) }
                    }
                    #expect(refused)

                    // The idle keep-alive connection is closed without waiting.
                    #expect(try await idle.readUntilClosed().isEmpty)
                    #expect(idle.sawEOF)

                    await gate.release()
                    let response = try await busy.readResponse()
                    #expect(response?.status == 200)
                    #expect(response?.text == "finished")
                    #expect(response?.header("connection") == "close")
                    _ = try await busy.readUntilClosed()
                    #expect(busy.sawEOF)
                }
            }
            // run() returns once the connections are gone; the group then finishes.
            try await tasks.next()
        }
    }

    @Test func cancellationStopsTheServer() async throws {
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        let server = HTTPServer(
            configuration: .test(),
            responder: makeTestRouter(),
            logger: quietLogger,
            onListening: { portContinuation.yield($0) }
        )
        let task = Task { try await server.run() }
        var portIterator = ports.makeAsyncIterator()
        let port = try #require(await portIterator.next())

        try await RawConnection.with(port: port) { connection in
            try await connection.send(httpRequest("GET", "/hello"))
            #expect(try await connection.readResponse()?.status == 200)
            task.cancel()
            _ = try await connection.readUntilClosed()
            #expect(connection.sawEOF)
        }
        _ = await task.result
        #expect(await connectionRefused(port: port))
    }
}
