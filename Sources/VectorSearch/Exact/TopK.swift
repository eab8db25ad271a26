/// `heaps` independent top-`k` selections, each the `k` smallest (distance, id) pairs offered to it: bounded
/// max-heaps in one preallocated block, so a scan allocates nothing. Ties are broken by id (smaller first), so
/// results do not depend on the order rows are visited or on the number of threads.
struct TopKBank: ~Copyable {
    let k: Int
    let heaps: Int
    private let distances: UnsafeMutablePointer<Float>
    private let ids: UnsafeMutablePointer<Int32>
    private let counts: UnsafeMutablePointer<Int>

    init(heaps: Int, k: Int) {
        precondition(k > 0 && heaps > 0)
        self.k = k
        self.heaps = heaps
        self.distances = .allocate(capacity: heaps * k)
        self.ids = .allocate(capacity: heaps * k)
        self.counts = .allocate(capacity: heaps)
        self.counts.initialize(repeating: 0, count: heaps)
    }

    deinit {
        self.distances.deallocate()
        self.ids.deallocate()
        self.counts.deallocate()
    }

    /// The distance a new pair must beat to enter heap `heap` (infinity until it holds `k` pairs).
    @inline(__always)
    func threshold(_ heap: Int) -> Float { self.counts[heap] == self.k ? self.distances[heap &* self.k] : .infinity }

    /// Offers a pair to heap `heap`; it is kept if it is among the `k` best.
    @inline(__always)
    func offer(_ heap: Int, _ distance: Float, _ id: Int32) {
        let d = self.distances + heap &* self.k
        let i = self.ids + heap &* self.k
        let count = self.counts[heap]
        if count < self.k {
            d[count] = distance
            i[count] = id
            self.counts[heap] = count &+ 1
            Self.siftUp(d, i, from: count)
        } else if distance < d[0] || (distance == d[0] && id < i[0]) {
            d[0] = distance
            i[0] = id
            Self.siftDown(d, i, count: count)
        }
    }

    /// Writes heap `heap`'s pairs nearest first into `k` slots (unfilled slots: id -1, distance infinity) and
    /// empties it.
    func drain(_ heap: Int, ids output: UnsafeMutablePointer<Int32>, distances outputDistances: UnsafeMutablePointer<Float>) {
        let d = self.distances + heap &* self.k
        let i = self.ids + heap &* self.k
        output.update(repeating: -1, count: self.k)
        outputDistances.update(repeating: .infinity, count: self.k)
        var remaining = self.counts[heap]
        while remaining > 0 {
            remaining -= 1
            output[remaining] = i[0]
            outputDistances[remaining] = d[0]
            d[0] = d[remaining]
            i[0] = i[remaining]
            Self.siftDown(d, i, count: remaining)
        }
        self.counts[heap] = 0
    }

    @inline(__always)
    private static func isWorse(_ d: UnsafeMutablePointer<Float>, _ i: UnsafeMutablePointer<Int32>, _ a: Int, than b: Int) -> Bool {
        d[a] > d[b] || (d[a] == d[b] && i[a] > i[b])
    }

    @inline(__always)
    private static func swapAt(_ d: UnsafeMutablePointer<Float>, _ i: UnsafeMutablePointer<Int32>, _ a: Int, _ b: Int) {
        swap(&d[a], &d[b])
        swap(&i[a], &i[b])
    }

    private static func siftUp(_ d: UnsafeMutablePointer<Float>, _ i: UnsafeMutablePointer<Int32>, from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child &- 1) >> 1
            guard self.isWorse(d, i, child, than: parent) else { return }
            self.swapAt(d, i, child, parent)
            child = parent
        }
    }

    private static func siftDown(_ d: UnsafeMutablePointer<Float>, _ i: UnsafeMutablePointer<Int32>, count: Int) {
        var parent = 0
        while true {
            let left = 2 &* parent &+ 1
            guard left < count else { return }
            let right = left &+ 1
            let worst = right < count && self.isWorse(d, i, right, than: left) ? right : left
            guard self.isWorse(d, i, worst, than: parent) else { return }
            self.swapAt(d, i, worst, parent)
            parent = worst
        }
    }
}
