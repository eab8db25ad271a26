import Foundation
import Postgres
import Synchronization
import Testing

@Suite struct DedicatedThreadTests {
    /// Eight bodies that each wait until all eight are running: they finish only if they really run at once
    /// (`concurrentPerform` would run two at a time on a 2-core machine, and these would time out).
    @Test func runAllRunsEveryBodyAtOnce() {
        let running = Atomic<Int>(0)
        let sawAll = Atomic<Int>(0)
        DedicatedThread.runAll(count: 8) { _ in
            running.add(1, ordering: .relaxed)
            let deadline = ContinuousClock.now + .seconds(20)
            while running.load(ordering: .relaxed) < 8, ContinuousClock.now < deadline { usleep(1_000) }
            if running.load(ordering: .relaxed) == 8 { sawAll.add(1, ordering: .relaxed) }
        }
        #expect(sawAll.load(ordering: .relaxed) == 8)
    }

    @Test func runAllGivesEachIndexOnce() {
        let seen = Mutex<[Int]>([])
        DedicatedThread.runAll(count: 5) { index in seen.withLock { $0.append(index) } }
        #expect(seen.withLock { $0.sorted() } == [0, 1, 2, 3, 4])
    }
}
