#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// One spin lock per node, 4 bytes each (hnswlib keeps a 40-byte `std::mutex` per node), held only while a
/// node's neighbour list is copied or rewritten during a multi-threaded build.
struct NodeLocks: @unchecked Sendable {
    private let words: UnsafeMutablePointer<Atomic<UInt32>>
    private let count: Int

    init(count: Int) {
        self.count = max(count, 1)
        self.words = .allocate(capacity: self.count)
        for index in 0..<self.count { (self.words + index).initialize(to: Atomic(0)) }
    }

    func deallocate() { self.words.deallocate() }

    @inline(__always)
    func lock(_ id: UInt32) {
        let index = Int(truncatingIfNeeded: id)
        while !self.words[index].compareExchange(expected: 0, desired: 1, ordering: .acquiring).exchanged {
            // Spin on a plain load (no cache-line ping-pong); yield now and then in case the holder was
            // descheduled because there are more threads than cores.
            var spins = 0
            while self.words[index].load(ordering: .relaxed) != 0 {
                spins &+= 1
                if spins & 255 == 0 { sched_yield() }
            }
        }
    }

    @inline(__always)
    func unlock(_ id: UInt32) { self.words[Int(truncatingIfNeeded: id)].store(0, ordering: .releasing) }
}

/// Copies a neighbour list out under its node's lock, for searches that run while other threads insert.
/// hnswlib holds the lock through the distance computations; copying lets the writer in sooner.
struct LockedLinks: LinkReader {
    let graph: HNSWGraph
    let locks: NodeLocks
    let copy: UnsafeMutablePointer<UInt32>

    @inline(__always)
    func neighbours(of id: UInt32, level: Int) -> (ids: UnsafePointer<UInt32>, count: Int) {
        self.locks.lock(id)
        let list = self.graph.list(id, level: level)
        let count = Int(list.pointee)
        self.copy.update(from: list + 1, count: count)
        self.locks.unlock(id)
        return (UnsafePointer(self.copy), count)
    }
}
