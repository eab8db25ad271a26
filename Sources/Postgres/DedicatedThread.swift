import Foundation

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
}
