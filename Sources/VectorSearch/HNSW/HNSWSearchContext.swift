/// Everything one search needs besides the graph, allocated once and reused so a query allocates nothing:
/// the visited tags, the candidate and result heaps, the query's normalised copy and scratch lists. One per
/// thread: a context must not be used by two searches at once. Make one with ``HNSWIndex/makeContext()``.
public final class HNSWSearchContext {
    var visited: VisitedTags
    /// Nodes still to expand, nearest first.
    var candidates: KeyHeap
    /// The best nodes found, farthest first (complemented keys), at most `ef`.
    var results: KeyHeap
    /// The query as the index stores its rows: normalised for cosine, in the index's precision (room for
    /// `dimension` floats).
    let query: UnsafeMutableRawPointer
    /// The query in single precision while it is normalised, before it is written to `query`.
    let staging: UnsafeMutablePointer<Float>
    /// Unvisited neighbours of the node being expanded, gathered so their rows can be prefetched together.
    let fresh: UnsafeMutablePointer<UInt32>
    /// A copy of a neighbour list taken under its lock (building) or being pruned.
    let links: UnsafeMutablePointer<UInt32>
    /// A full neighbour list and the new link, with distances, while it is pruned (building).
    let pruning: UnsafeMutablePointer<UInt64>
    /// Candidates sorted nearest first for neighbour selection (building).
    var selection: UnsafeMutablePointer<UInt64>
    private var selectionCapacity: Int
    /// Distances computed since the context was made: the work a search did, beside its time.
    public internal(set) var distanceCount = 0

    init(nodes: Int, dimension: Int, m: Int) {
        self.visited = VisitedTags(capacity: nodes)
        self.candidates = KeyHeap(capacity: 256)
        self.results = KeyHeap(capacity: 256)
        self.query = .allocate(byteCount: dimension * 4, alignment: 64)
        self.staging = .allocate(capacity: dimension)
        self.fresh = .allocate(capacity: 2 * m + 1)
        self.links = .allocate(capacity: 2 * m + 1)
        self.pruning = .allocate(capacity: 2 * m + 1)
        self.selectionCapacity = 2 * m + 1
        self.selection = .allocate(capacity: self.selectionCapacity)
    }

    deinit {
        self.visited.deallocate()
        self.candidates.deallocate()
        self.results.deallocate()
        self.query.deallocate()
        self.staging.deallocate()
        self.fresh.deallocate()
        self.links.deallocate()
        self.pruning.deallocate()
        self.selection.deallocate()
    }

    /// Makes `selection` hold at least `count` keys.
    func reserveSelection(_ count: Int) {
        guard count > self.selectionCapacity else { return }
        self.selection.deallocate()
        self.selectionCapacity = count
        self.selection = .allocate(capacity: count)
    }

    /// Bytes held: the visited tags dominate (2 per node).
    public var bytes: Int { self.visited.bytes + self.candidates.bytes + self.results.bytes + self.selectionCapacity * 8 }
}
