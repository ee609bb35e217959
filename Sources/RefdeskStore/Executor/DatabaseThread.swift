#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A POSIX mutex with its condition variable: what the database thread sleeps on while the queue is empty.
///
/// Written against pthreads rather than Foundation's `NSCondition` and `Thread`: linking Foundation costs each
/// daemon about 8 MiB of resident memory (its libraries' relocated pages), and the executor is the only part of
/// the bridges that needed it.
final class ConditionLock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    /// Releases the lock, sleeps until `broadcast`, and takes the lock again. May wake spuriously: wait in a loop.
    func wait() { pthread_cond_wait(condition, mutex) }
    func broadcast() { pthread_cond_broadcast(condition) }
}

/// Starts a detached thread of its own for `body` (blocking work that must not run on Swift's cooperative pool).
enum DatabaseThread {
    struct StartError: Error, CustomStringConvertible {
        let code: Int32
        var description: String { "cannot start the database thread: pthread_create failed with error \(code)" }
    }

    private final class Body {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    static func start(_ body: @escaping @Sendable () -> Void) throws {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(&thread, nil, { context in
            let body = Unmanaged<Body>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw StartError(code: result)
        }
        pthread_detach(thread)
    }
}
