import Synchronization

/// An in-process HNSW index (Malkov & Yashunin, 2016), built the way hnswlib builds it so that recall matches
/// at equal parameters, and laid out for speed: fixed-stride records with each vector next to its layer-0
/// links, packed-key heaps, 16-bit visited tags, per-metric specialised loops, prefetching.
///
/// Build it with ``build(_:parameters:threads:progress:)`` or read it with ``load(from:)``; it is immutable
/// afterwards, so any number of threads may search it at once, each with its own ``HNSWSearchContext``.
/// A growing index (``growing(_:initial:parameters:threads:progress:)``) also takes inserts and deletes while
/// it is searched; its searches then copy each neighbour list under the node's lock.
/// Node ids are the rows of the vectors it was built from.
///
/// `@unchecked Sendable`: the memory is written only while building (or, growing, under node locks).
public final class HNSWIndex: @unchecked Sendable {
    public let parameters: HNSWParameters
    let graph: HNSWGraph
    /// The node every search starts from (a node on the top layer) and the top layer, packed
    /// `level << 32 | node`: one load gives a consistent pair while a growing index raises its top.
    private let topState: Atomic<UInt64>
    /// Inserts, deletes and their locks; nil for an index that does not grow.
    let growth: HNSWGrowth?
    /// `UInt32`s of upper-layer lists: `m + 1` per node and layer above 0.
    let upperWords: Int
    private let records: PageAllocation
    private let upperLists: PageAllocation

    public var dimension: Int { self.graph.dimension }
    public var count: Int { self.graph.count }

    /// An index over `levels.count` nodes whose vectors and lists are still zero, entered at `entryPoint`
    /// (default: the first node on the top layer; growing, the first on the top layer among the initial rows).
    init(
        parameters: HNSWParameters, dimension: Int, levels: [UInt8], entryPoint: UInt32? = nil,
        growing: (source: VectorStore, initial: Int)? = nil
    ) throws {
        let count = levels.count
        let m = parameters.m
        let levelTable = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
        levelTable.initialize(from: levels, count: count)
        let offsets = UnsafeMutablePointer<UInt32>.allocate(capacity: count)
        var upperWords = 0
        for (node, level) in levels.enumerated() {
            offsets[node] = UInt32(truncatingIfNeeded: upperWords)
            upperWords += Int(level) * (m + 1)
        }
        guard upperWords <= Int(UInt32.max) else {
            throw VectorSearchError(.badInput, "\(count) nodes with m \(m) need more upper-layer links than this index format holds")
        }
        let stride = HNSWGraph.stride(dimension: dimension, m: m, precision: parameters.precision)
        self.records = try PageAllocation(bytes: count * stride, purpose: "the HNSW records of \(count) vectors")
        self.upperLists = try PageAllocation(bytes: upperWords * 4, purpose: "the HNSW upper layers")
        self.graph = HNSWGraph(
            dimension: dimension, valueBytes: parameters.precision.bytes, m: m, count: count, stride: stride, records: self.records.pointer, levels: levelTable,
            upperOffsets: offsets, upper: self.upperLists.pointer.bindMemory(to: UInt32.self, capacity: max(upperWords, 1)))
        self.parameters = parameters
        self.upperWords = upperWords
        let present = levels.prefix(growing?.initial ?? count)
        let top = present.max() ?? 0
        let entry = entryPoint ?? UInt32(present.firstIndex(of: top) ?? 0)
        self.topState = Atomic(UInt64(top) << 32 | UInt64(entry))
        self.growth = growing.map { HNSWGrowth(source: $0.source, nodes: count) }
    }

    /// The entry point and the top layer.
    var top: (entry: UInt32, level: Int) {
        let state = self.topState.load(ordering: .acquiring)
        return (UInt32(truncatingIfNeeded: state), Int(state >> 32))
    }

    var entryPoint: UInt32 { self.top.entry }
    var maxLevel: Int { self.top.level }

    /// A growing index's new top: `entry` on layer `level`.
    func setTop(entry: UInt32, level: Int) { self.topState.store(UInt64(level) << 32 | UInt64(entry), ordering: .releasing) }

    deinit {
        self.records.release()
        self.upperLists.release()
        self.graph.levels.deallocate()
        self.graph.upperOffsets.deallocate()
    }

    /// A search context sized for this index: one per thread that searches.
    public func makeContext() -> HNSWSearchContext {
        HNSWSearchContext(nodes: self.count, dimension: self.dimension, m: self.parameters.m)
    }

    /// Bytes of the vectors alone (the rest of ``bytes`` is links): half as many in half precision.
    public var vectorBytes: Int { self.count * self.dimension * self.parameters.precision.bytes }

    /// Bytes the index holds: records (vectors and layer-0 links), upper-layer links, levels and offsets.
    /// Search contexts are extra (``HNSWSearchContext/bytes``, about two bytes per node each).
    public var bytes: Int { self.records.bytes + self.upperLists.bytes + self.count * (1 + 4) }

    /// Nodes per layer, layer 0 first.
    public var layerSizes: [Int] {
        var sizes = [Int](repeating: 0, count: self.maxLevel + 1)
        for node in 0..<self.count {
            for level in 0...Int(self.graph.levels[node]) { sizes[level] += 1 }
        }
        return sizes
    }

    /// The `k` nearest nodes to `query` (`dimension` floats; normalised here for cosine), nearest first, into
    /// `ids` (and `distances` when given); returns how many were found. `ef` is raised to `k` when smaller,
    /// as in hnswlib. Allocates nothing.
    @discardableResult
    public func search(
        _ query: UnsafePointer<Float>, k: Int, ef: Int, context: HNSWSearchContext,
        ids: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>? = nil
    ) -> Int {
        precondition(k >= 1, "k must be at least 1")
        self.prepare(query, in: context)
        self.parameters.withKernel(Search(index: self, ef: max(ef, k), context: context))
        return self.graph.drainResults(context, k: k, ids: ids, distances: distances)
    }

    /// Writes the query into the context as the index stores its rows: normalised when the metric needs it,
    /// in the index's precision.
    func prepare(_ query: UnsafePointer<Float>, in context: HNSWSearchContext) {
        context.staging.update(from: query, count: self.dimension)
        if self.parameters.metric.normalizes { DistanceKernels.normalize(context.staging, count: self.dimension) }
        self.parameters.precision.encode(context.staging, into: context.query, count: self.dimension)
    }

    /// The unfiltered search with one kernel: leaves the `ef` nearest in `context.results`.
    private struct Search: KernelTask {
        let index: HNSWIndex
        let ef: Int
        let context: HNSWSearchContext

        @inline(__always)
        func callAsFunction<Kernel: MetricKernel>(_: Kernel.Type) {
            _ = self.index.searchFromTop(Kernel.self, filter: AllNodes(), ef: self.ef, context: self.context)
        }
    }

    /// A search from the entry point: the greedy descent to layer 0, then the best-first search there for the
    /// `ef` nearest nodes `filter` admits, left in `context.results` (false when it measured more than
    /// `budget`, ``HNSWGraph/searchLayer``). A growing index copies each list under its node's lock and admits
    /// no deleted node; one that does not grow reads its lists in place.
    @inline(__always)
    func searchFromTop<Kernel: MetricKernel, Filter: NodeFilter>(
        _: Kernel.Type, filter: Filter, ef: Int, budget: Int = .max, context: HNSWSearchContext
    ) -> Bool {
        guard let growth = self.growth else {
            return self.searchFromTop(Kernel.self, SharedLinks(graph: self.graph), filter: filter, ef: ef, budget: budget, context: context)
        }
        return self.searchFromTop(
            Kernel.self, LockedLinks(graph: self.graph, locks: growth.locks, copy: context.links),
            filter: BothFilters(first: filter, second: LiveNodes(growth: growth)), ef: ef, budget: budget, context: context)
    }

    @inline(__always)
    private func searchFromTop<Kernel: MetricKernel, Reader: LinkReader, Filter: NodeFilter>(
        _: Kernel.Type, _ reader: Reader, filter: Filter, ef: Int, budget: Int, context: HNSWSearchContext
    ) -> Bool {
        let query = UnsafeRawPointer(context.query)
        let top = self.top
        let start = self.graph.descend(
            Kernel.self, reader, query: query, entry: top.entry,
            distance: Kernel.distance(query, self.graph.vector(top.entry), self.graph.dimension),
            from: top.level, downTo: 0, context: context)
        return self.graph.searchLayer(
            Kernel.self, reader, query: query, entry: start.id, entryDistance: start.distance, level: 0, ef: ef, context: context,
            filter: filter, budget: budget)
    }
}
