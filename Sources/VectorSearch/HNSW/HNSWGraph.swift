import CPrefetch

/// The memory of an HNSW graph as raw pointers, laid out as hnswlib lays it out (shared/notes/hnsw.md §1.1):
/// one record per node at a fixed stride, holding the node's vector and right after it the node's layer-0
/// neighbour list, so expanding a node and reading its neighbours' vectors touch few, predictable lines.
/// The ~1/m of nodes that live on upper layers keep those lists in a side arena.
///
/// A vector is `dimension` components in the index's precision (4 or 2 bytes each, ``valueBytes``).
/// A list is `[count][capacity × id]` in `UInt32`s: `2m` ids on layer 0, `m` above. A value type of plain
/// pointers so the search loops hold it in registers; ``HNSWIndex`` owns the memory.
struct HNSWGraph: @unchecked Sendable {
    let dimension: Int
    /// Bytes per vector component: 4 in single precision, 2 in half.
    let valueBytes: Int
    let m: Int
    let count: Int
    /// Bytes per node record, a multiple of 64 so every vector starts on a cache line.
    let stride: Int
    let records: UnsafeMutableRawPointer
    /// Each node's top layer.
    let levels: UnsafeMutablePointer<UInt8>
    /// Where a node's layer-1 list starts in `upper`, in `UInt32`s (its layer-`l` list follows at
    /// `(l − 1)·(m + 1)`); meaningless for nodes on layer 0 only.
    let upperOffsets: UnsafeMutablePointer<UInt32>
    let upper: UnsafeMutablePointer<UInt32>

    /// Offset of the layer-0 list in a record: right after the vector.
    var linksOffset: Int { self.dimension &* self.valueBytes }

    /// Bytes of an index of `count` nodes: the records, plus the upper layers' links (1/m of the nodes, `m`
    /// links each, per layer) and per-node levels and locks.
    static func estimatedBytes(count: Int, dimension: Int, m: Int, precision: VectorPrecision) -> Int {
        count * (self.stride(dimension: dimension, m: m, precision: precision) + 16) + count / max(m - 1, 1) * (m + 1) * 4 * 2
    }

    /// The record size for a vector of `dimension` components and `2m` links.
    static func stride(dimension: Int, m: Int, precision: VectorPrecision) -> Int {
        let bytes = dimension * precision.bytes + (1 + 2 * m) * 4
        return (bytes + 63) & ~63
    }

    /// Node `id`'s vector, in the index's precision.
    @inline(__always)
    func vector(_ id: UInt32) -> UnsafeMutableRawPointer { self.records + Int(truncatingIfNeeded: id) &* self.stride }

    /// Node `id`'s list on `level`: the count, then the ids.
    @inline(__always)
    func list(_ id: UInt32, level: Int) -> UnsafeMutablePointer<UInt32> {
        let node = Int(truncatingIfNeeded: id)
        if level == 0 {
            return (self.records + (node &* self.stride &+ self.linksOffset)).assumingMemoryBound(to: UInt32.self)
        }
        let start = Int(truncatingIfNeeded: self.upperOffsets[node])
        return self.upper + (start &+ (level &- 1) &* (self.m &+ 1))
    }

    /// Ids a list on `level` can hold.
    @inline(__always)
    func capacity(level: Int) -> Int { level == 0 ? 2 &* self.m : self.m }

    /// Bytes of a vector worth prefetching when a node is about to be measured: the whole row at low
    /// dimensions, where a search waits on memory latency; the first KiB at high ones, where the row is long
    /// enough for the hardware prefetcher to stream the rest (shared/notes/hnsw.md §5.5).
    var prefetchBytes: Int { min(self.linksOffset, 1024) }

    /// Rows a search keeps prefetched ahead of the one it measures: about 2 KiB in flight, at least two rows.
    /// Measured in alternating passes in one process (docs/benchmarks.md): 3–5 rows ahead was best at 128
    /// dimensions (4 here), 2–3 at 1536 (2 here); every row at once was 20–28 % slower at 128 dimensions
    /// and 2–5 % at 1536, where the hardware prefetcher streams most of each row anyway.
    var prefetchRows: Int { max(2, 2048 / self.prefetchBytes) }

    /// Prefetches the first line of node `id`'s list on `level` (the count and the first 15 ids).
    @inline(__always)
    func prefetchList(_ id: UInt32, level: Int) { tripbench_prefetch(self.list(id, level: level)) }

    @inline(__always)
    func prefetchVector(_ id: UInt32, bytes: Int) {
        let row = UnsafeRawPointer(self.records + Int(truncatingIfNeeded: id) &* self.stride)
        var offset = 0
        while offset < bytes {
            tripbench_prefetch(row + offset)
            offset &+= 64
        }
    }
}
