import Dispatch

/// Runs blocking work (a raw libpq call in a test) on a Dispatch thread, so the test does not
/// hold one of Swift's few cooperative threads, which the server under test needs too.
@discardableResult
public func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
    }
}
