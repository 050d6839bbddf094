import NIOCore
import NIOHTTP1

/// Pipelining and graceful shutdown: one request in flight, later input held and replayed.
extension HTTPConnectionHandler {
    /// Something that arrived while a request was being processed.
    enum PendingEvent {
        case part(HTTPServerRequestPart)
        case inputClosed
        case parserError(any Error)
    }

    /// True while a request is with the task or earlier input still waits: new input queues.
    var mustHoldInput: Bool {
        if case .processing = self.state { return true }
        return !self.pending.isEmpty
    }

    /// Graceful shutdown: an idle connection closes now, a request under way is the last one
    /// (its response says `Connection: close`, and the connection closes once it is written).
    func quiesce(context: ChannelHandlerContext) {
        self.quiescing = true
        switch self.state {
        case .idle, .awaitingHead:
            self.state = .closing
            self.pending.removeAll()
            context.close(promise: nil)
        case .receiving, .processing, .closing:
            break
        }
    }

    /// Hands on what waited while the response was produced, in order, until a request is
    /// with the task again; then issues a held read once nothing waits any more.
    func replayPending(context: ChannelHandlerContext) {
        var delivered = false
        while !self.pending.isEmpty {
            if case .processing = self.state { break }
            switch self.pending.removeFirst() {
            case .part(let part):
                self.handle(part, context: context)
                if case .processing = self.state { delivered = true }
            case .inputClosed:
                self.handleInputClosed(context: context)
            case .parserError(let error):
                self.handleError(error, context: context)
            }
        }
        if case .closing = self.state {
            self.pending.removeAll()
        }
        self.requestCompletedInThisRead = false
        if delivered {
            // NIOAsyncChannel hands reads to the task at the end of a read.
            context.fireChannelReadComplete()
        }
        if self.readHeld, self.pending.isEmpty {
            self.readHeld = false
            context.read()
        }
    }

    // MARK: Outbound reads

    func read(context: ChannelHandlerContext) {
        if case .processing = self.state, !self.pending.isEmpty {
            // Input is waiting already: read no more until it has been taken up.
            self.readHeld = true
            return
        }
        context.read()
    }
}
