/// The set of nodes one search has visited, as hnswlib keeps it: a 16-bit tag per node and the current
/// search's tag. Starting a search bumps the tag, so clearing costs nothing except on wrap-around, once in
/// 65,535 searches. Owned by one ``HNSWSearchContext``; a value type so loops keep it in registers.
struct VisitedTags {
    private let tags: UnsafeMutablePointer<UInt16>
    let capacity: Int
    private var current: UInt16 = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
        self.tags = .allocate(capacity: self.capacity)
        self.tags.initialize(repeating: 0, count: self.capacity)
    }

    func deallocate() { self.tags.deallocate() }

    /// Forgets every visit.
    mutating func startSearch() {
        self.current &+= 1
        if self.current == 0 {
            self.tags.update(repeating: 0, count: self.capacity)
            self.current = 1
        }
    }

    /// Marks `id` visited; true when it was not visited yet.
    @inline(__always)
    func insert(_ id: UInt32) -> Bool {
        let slot = self.tags + Int(truncatingIfNeeded: id)
        guard slot.pointee != self.current else { return false }
        slot.pointee = self.current
        return true
    }

    /// The address of `id`'s tag, to prefetch.
    @inline(__always)
    func address(of id: UInt32) -> UnsafeRawPointer { UnsafeRawPointer(self.tags + Int(truncatingIfNeeded: id)) }

    var bytes: Int { self.capacity * MemoryLayout<UInt16>.stride }
}
