/// The `k` smallest (distance, id) pairs seen so far: a bounded max-heap on preallocated storage, so the
/// scan loop allocates nothing. Ties are broken by id (smaller first), so results do not depend on the
/// order rows are visited or on the number of threads.
struct TopK: ~Copyable {
    let k: Int
    private(set) var count = 0
    private let distances: UnsafeMutablePointer<Float>
    private let ids: UnsafeMutablePointer<Int32>

    init(k: Int) {
        precondition(k > 0)
        self.k = k
        self.distances = .allocate(capacity: k)
        self.ids = .allocate(capacity: k)
    }

    deinit {
        self.distances.deallocate()
        self.ids.deallocate()
    }

    /// The distance a new pair must beat to enter (infinity until `k` pairs are held).
    @inline(__always)
    var threshold: Float { self.count == self.k ? self.distances[0] : .infinity }

    @inline(__always)
    private func isWorse(_ i: Int, than j: Int) -> Bool {
        self.distances[i] > self.distances[j] || (self.distances[i] == self.distances[j] && self.ids[i] > self.ids[j])
    }

    /// Offers a pair; keeps it if it is among the `k` best.
    @inline(__always)
    mutating func offer(_ distance: Float, _ id: Int32) {
        if self.count < self.k {
            var child = self.count
            self.distances[child] = distance
            self.ids[child] = id
            self.count += 1
            while child > 0 {
                let parent = (child &- 1) >> 1
                guard self.isWorse(child, than: parent) else { break }
                self.swapAt(child, parent)
                child = parent
            }
            return
        }
        guard distance < self.distances[0] || (distance == self.distances[0] && id < self.ids[0]) else { return }
        self.distances[0] = distance
        self.ids[0] = id
        var parent = 0
        while true {
            let left = 2 &* parent &+ 1
            guard left < self.count else { break }
            let right = left &+ 1
            let worst = right < self.count && self.isWorse(right, than: left) ? right : left
            guard self.isWorse(worst, than: parent) else { break }
            self.swapAt(worst, parent)
            parent = worst
        }
    }

    @inline(__always)
    private func swapAt(_ i: Int, _ j: Int) {
        swap(&self.distances[i], &self.distances[j])
        swap(&self.ids[i], &self.ids[j])
    }

    /// Writes the pairs nearest first into `ids` and `distances` (`k` slots each; unfilled slots get
    /// id -1 and distance infinity) and empties the heap.
    mutating func drain(ids: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>) {
        for slot in 0..<self.k {
            ids[slot] = -1
            distances[slot] = .infinity
        }
        var remaining = self.count
        while remaining > 0 {
            remaining -= 1
            ids[remaining] = self.ids[0]
            distances[remaining] = self.distances[0]
            self.distances[0] = self.distances[remaining]
            self.ids[0] = self.ids[remaining]
            self.count = remaining
            var parent = 0
            while true {
                let left = 2 &* parent &+ 1
                guard left < self.count else { break }
                let right = left &+ 1
                let worst = right < self.count && self.isWorse(right, than: left) ? right : left
                guard self.isWorse(worst, than: parent) else { break }
                self.swapAt(worst, parent)
                parent = worst
            }
        }
    }
}
