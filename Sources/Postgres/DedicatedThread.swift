import Foundation
import Glibc

/// Runs blocking work on a thread of its own, so it never occupies one of the cooperative pool's threads
/// (two on this machine: a blocked one would stall every other task).
///
/// Used at the edges, once per command or test, not per query: a ``PostgresConnection`` is created, used
/// and closed inside `body` on that thread.
public enum DedicatedThread {
    /// Runs `body` on a new thread and returns its result to the awaiting task.
    public static func run<T: Sendable>(
        name: String = "tripbench-blocking",
        _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try body() })
            }
            thread.name = name
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Runs `body(index)` for every index below `count`, each on a thread of its own, all at once, and returns
    /// when all have ended. For blocking work that must really run `count`-wide, such as one COPY per
    /// connection: `DispatchQueue.concurrentPerform` runs at most as many iterations at a time as there are
    /// cores, so `load --parallel 8` on this 2-core machine had 2 connections working and 6 waiting.
    public static func runAll(count: Int, _ body: @Sendable (Int) -> Void) {
        /// What one thread runs, handed over as a retained pointer and released by the thread.
        final class Work: @unchecked Sendable {
            let body: @Sendable (Int) -> Void
            let index: Int
            init(_ body: @escaping @Sendable (Int) -> Void, _ index: Int) {
                self.body = body
                self.index = index
            }
        }
        // Every thread is joined before this returns, so `body` does not outlive the call.
        withoutActuallyEscaping(body) { body in
            var threads: [pthread_t] = []
            for index in 0..<count {
                let work = Unmanaged.passRetained(Work(body, index)).toOpaque()
                var thread = pthread_t()
                let created = pthread_create(&thread, nil, { raw in
                    let work = Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue()
                    work.body(work.index)
                    return nil
                }, work)
                if created == 0 {
                    threads.append(thread)
                } else {
                    // No thread to be had (a process limit): this index runs here, after the others started.
                    let work = Unmanaged<Work>.fromOpaque(work).takeRetainedValue()
                    work.body(work.index)
                }
            }
            for thread in threads { pthread_join(thread, nil) }
        }
    }
}
