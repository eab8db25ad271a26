/// A (distance, id) pair packed into one `UInt64` whose integer order is the pair's order: distance first,
/// then id. The float's bits are mapped to an order-preserving unsigned integer (flip all bits of
/// negatives, the sign bit of the rest), so heaps compare with one integer instruction and ties break by id.
/// NaN never reaches a key: vectors with NaN are refused on input.
enum PackedKey {
    @inline(__always)
    static func make(_ distance: Float, _ id: UInt32) -> UInt64 {
        let bits = distance.bitPattern
        let ordered = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return UInt64(ordered) << 32 | UInt64(id)
    }

    @inline(__always)
    static func distance(_ key: UInt64) -> Float {
        let ordered = UInt32(truncatingIfNeeded: key >> 32)
        return Float(bitPattern: ordered & 0x8000_0000 != 0 ? ordered & 0x7FFF_FFFF : ~ordered)
    }

    @inline(__always)
    static func id(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key) }
}

/// A binary min-heap of `UInt64` keys in one buffer that grows by doubling and is reused across searches.
/// Used nearest-first with ``PackedKey``s, and farthest-first by pushing complemented keys (`~key` reverses
/// the order). A value type so the search loops keep it in registers; its owner writes it back and finally
/// calls ``deallocate()``.
struct KeyHeap {
    private(set) var keys: UnsafeMutablePointer<UInt64>
    private(set) var capacity: Int
    private(set) var count = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
        self.keys = .allocate(capacity: self.capacity)
    }

    func deallocate() { self.keys.deallocate() }

    var isEmpty: Bool { self.count == 0 }

    /// The smallest key; the heap must not be empty.
    @inline(__always)
    var min: UInt64 { self.keys[0] }

    @inline(__always)
    mutating func removeAll() { self.count = 0 }

    @inline(__always)
    mutating func push(_ key: UInt64) {
        if self.count == self.capacity { self.grow() }
        var child = self.count
        self.count &+= 1
        while child > 0 {
            let parent = (child &- 1) >> 1
            let above = self.keys[parent]
            guard key < above else { break }
            self.keys[child] = above
            child = parent
        }
        self.keys[child] = key
    }

    /// Removes and returns the smallest key; the heap must not be empty.
    @inline(__always)
    @discardableResult
    mutating func popMin() -> UInt64 {
        let top = self.keys[0]
        self.count &-= 1
        let last = self.keys[self.count]
        let count = self.count
        var parent = 0
        while true {
            var child = 2 &* parent &+ 1
            guard child < count else { break }
            if child &+ 1 < count, self.keys[child &+ 1] < self.keys[child] { child &+= 1 }
            let below = self.keys[child]
            guard below < last else { break }
            self.keys[parent] = below
            parent = child
        }
        self.keys[parent] = last
        return top
    }

    /// Bytes held.
    var bytes: Int { self.capacity * MemoryLayout<UInt64>.stride }

    @inline(never)
    private mutating func grow() {
        let larger = UnsafeMutablePointer<UInt64>.allocate(capacity: self.capacity * 2)
        larger.moveInitialize(from: self.keys, count: self.count)
        self.keys.deallocate()
        self.keys = larger
        self.capacity *= 2
    }
}
