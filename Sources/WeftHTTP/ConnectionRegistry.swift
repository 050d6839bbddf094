import Foundation
import NIOCore

/// The open connections, so that graceful shutdown can reach them and the connection
/// limit can be enforced. Touched once per connection, so a lock is cheap enough.
final class ConnectionRegistry: @unchecked Sendable {
    enum Admission {
        case admitted
        case overLimit(open: Int)
        case shuttingDown
    }

    private let lock = NSLock()
    private var channels: [ObjectIdentifier: any Channel] = [:]
    private var shuttingDown = false

    /// Records `channel` unless the server is at its limit or shutting down.
    func admit(_ channel: any Channel, limit: Int) -> Admission {
        self.lock.withLock {
            if self.shuttingDown { return .shuttingDown }
            if self.channels.count >= limit { return .overLimit(open: self.channels.count) }
            self.channels[ObjectIdentifier(channel)] = channel
            return .admitted
        }
    }

    func remove(_ channel: any Channel) {
        self.lock.withLock {
            _ = self.channels.removeValue(forKey: ObjectIdentifier(channel))
        }
    }

    /// Refuses further connections and returns the open ones.
    func beginShutdown() -> [any Channel] {
        self.lock.withLock {
            self.shuttingDown = true
            return Array(self.channels.values)
        }
    }
}
