import Foundation
import Postgres

/// Work started on a thread of its own the moment it is created, for a test that must act at a given moment of
/// a run beside it (terminate its sessions, restart its server, stop it). A `Task` would start, and wake from
/// its sleep, only when the cooperative pool has a thread free, which tests running beside it can deny for
/// longer than the run lasts.
public final class StartedThread<T: Sendable>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private var result: Result<T, any Error>?

    public init(after delay: TimeInterval = 0, _ body: @escaping @Sendable () throws -> T) {
        let thread = Thread {
            Thread.sleep(forTimeInterval: delay)
            self.result = Result { try body() }
            self.finished.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// What the work returned or threw, once it has ended.
    public var value: T {
        get async throws {
            try await DedicatedThread.run {
                self.finished.wait()
                self.finished.signal()
                return try self.result!.get()
            }
        }
    }
}
