#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch

/// Runs `body` on a new thread of its own, outside Dispatch's pool. For work that mostly waits
/// (the exact step waits on its MIP worker process) while a Dispatch job waits for it: on the
/// pool, whose width is about the core count, that wait could start only once a solve had freed
/// a pool thread — after the solve's deadline when all of them were solving, which under a
/// loaded test suite meant the exact step never ran. Falls back to Dispatch if no thread can be
/// created.
func runOnDedicatedThread(_ body: @escaping @Sendable () -> Void) {
    final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
    let argument = Unmanaged.passRetained(Body(body)).toOpaque()
    #if canImport(Glibc)
    var thread = pthread_t()
    #else
    var thread: pthread_t? = nil
    #endif
    let created = pthread_create(&thread, nil, { raw in
        Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
        return nil
    }, argument)
    if created == 0 {
        #if canImport(Glibc)
        pthread_detach(thread)
        #else
        if let thread { pthread_detach(thread) }
        #endif
    } else {
        Unmanaged<Body>.fromOpaque(argument).release()
        DispatchQueue.global(qos: .userInitiated).async(execute: body)
    }
}
