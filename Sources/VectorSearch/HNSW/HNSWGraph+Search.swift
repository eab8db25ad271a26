/// How a search reads neighbour lists: in place on a finished graph, or copied under a lock while other
/// threads are inserting. A generic parameter, so each search loop is compiled for one of them.
protocol LinkReader {
    /// Node `id`'s neighbours on `level`, valid until the next call.
    func neighbours(of id: UInt32, level: Int) -> (ids: UnsafePointer<UInt32>, count: Int)
}

/// Reads lists in place: nothing writes a finished graph, so queries take no locks (as in hnswlib).
struct SharedLinks: LinkReader {
    let graph: HNSWGraph

    @inline(__always)
    func neighbours(of id: UInt32, level: Int) -> (ids: UnsafePointer<UInt32>, count: Int) {
        let list = self.graph.list(id, level: level)
        return (UnsafePointer(list + 1), Int(list.pointee))
    }
}

/// Which nodes a search may return. A generic parameter, so the unfiltered search compiles without a test.
protocol NodeFilter {
    func admits(_ id: UInt32) -> Bool
}

/// No filter.
struct AllNodes: NodeFilter {
    @inline(__always)
    func admits(_ id: UInt32) -> Bool { true }
}

/// The nodes whose bit is set.
struct AllowedBits: NodeFilter {
    let words: UnsafeBufferPointer<UInt64>

    @inline(__always)
    func admits(_ id: UInt32) -> Bool { self.words[Int(truncatingIfNeeded: id >> 6)] & (1 << UInt64(id & 63)) != 0 }
}

extension HNSWGraph {
    /// Greedy descent (one candidate, the paper's `ef = 1`) from `entry` on layer `top` down to layer
    /// `bottom + 1`: on each layer move to the nearest neighbour while that gets closer.
    @inline(__always)
    func descend<Kernel: MetricKernel, Reader: LinkReader>(
        _: Kernel.Type, _ reader: Reader, query: UnsafeRawPointer, entry: UInt32, distance: Float,
        from top: Int, downTo bottom: Int, context: HNSWSearchContext
    ) -> (id: UInt32, distance: Float) {
        var current = entry
        var currentDistance = distance
        var computed = 0
        var level = top
        while level > bottom {
            var changed = true
            while changed {
                changed = false
                let (ids, count) = reader.neighbours(of: current, level: level)
                for j in 0..<count {
                    let neighbour = ids[j]
                    let d = Kernel.distance(query, self.vector(neighbour), self.dimension)
                    if d < currentDistance {
                        currentDistance = d
                        current = neighbour
                        changed = true
                    }
                }
                computed &+= count
            }
            level &-= 1
        }
        context.distanceCount &+= computed
        return (current, currentDistance)
    }

    /// Best-first search of one layer from `entry` (Algorithm 2 of the paper, hnswlib's `searchBaseLayer`):
    /// afterwards `context.results` holds the `ef` nearest nodes found that `filter` admits, farthest first.
    ///
    /// Nodes the filter rejects are still expanded (the graph stays connected) but never become results, and
    /// the search ends only once it holds `ef` admitted nodes (hnswlib's filtered search). Returns false,
    /// leaving the results incomplete, when it has measured more than `budget` nodes.
    ///
    /// Each expansion first gathers the unvisited neighbours, then measures them with a window of rows in
    /// flight: the first ``HNSWGraph/prefetchRows`` rows are prefetched up front, and measuring row `j`
    /// prefetches row `j + prefetchRows`. The loads overlap instead of waiting one after another, and the
    /// window stays small enough that the prefetches do not queue behind each other (shared/notes/hnsw.md
    /// §5.5; prefetching every neighbour's row at once was 20–28 % slower at 128 dimensions, docs/benchmarks.md).
    @inline(__always)
    func searchLayer<Kernel: MetricKernel, Reader: LinkReader, Filter: NodeFilter>(
        _: Kernel.Type, _ reader: Reader, query: UnsafeRawPointer, entry: UInt32, entryDistance: Float,
        level: Int, ef: Int, context: HNSWSearchContext, filter: Filter = AllNodes(), budget: Int = .max
    ) -> Bool {
        var visited = context.visited
        var candidates = context.candidates
        var results = context.results
        visited.startSearch()
        candidates.removeAll()
        results.removeAll()
        _ = visited.insert(entry)
        candidates.push(PackedKey.make(entryDistance, entry))
        if filter.admits(entry) { results.push(~PackedKey.make(entryDistance, entry)) }
        var bound = results.isEmpty ? Float.infinity : entryDistance
        var computed = 0
        let fresh = context.fresh
        let prefetchBytes = self.prefetchBytes
        let ahead = self.prefetchRows
        defer {
            context.visited = visited
            context.candidates = candidates
            context.results = results
            context.distanceCount &+= computed
        }
        while !candidates.isEmpty {
            let nearest = candidates.min
            if PackedKey.distance(nearest) > bound && results.count == ef { break }
            candidates.popMin()
            // The next node to expand, unless a closer one turns up: fetch its list while this one is measured.
            if !candidates.isEmpty { self.prefetchList(PackedKey.id(candidates.min), level: level) }
            let (ids, count) = reader.neighbours(of: PackedKey.id(nearest), level: level)
            var unvisited = 0
            for j in 0..<count {
                let neighbour = ids[j]
                if visited.insert(neighbour) {
                    if unvisited < ahead { self.prefetchVector(neighbour, bytes: prefetchBytes) }
                    fresh[unvisited] = neighbour
                    unvisited &+= 1
                }
            }
            computed &+= unvisited
            if computed > budget { return false }
            for j in 0..<unvisited {
                let neighbour = fresh[j]
                if j &+ ahead < unvisited { self.prefetchVector(fresh[j &+ ahead], bytes: prefetchBytes) }
                let d = Kernel.distance(query, self.vector(neighbour), self.dimension)
                guard results.count < ef || d < bound else { continue }
                let key = PackedKey.make(d, neighbour)
                candidates.push(key)
                guard filter.admits(neighbour) else { continue }
                results.push(~key)
                if results.count > ef { results.popMin() }
                bound = PackedKey.distance(~results.min)
            }
        }
        return true
    }

    /// Moves the nearest `k` of `context.results` into `ids`/`distances`, nearest first, and returns how
    /// many there were (fewer than `k` only when the graph has fewer reachable nodes).
    @inline(__always)
    func drainResults(
        _ context: HNSWSearchContext, k: Int, ids: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>?
    ) -> Int {
        var results = context.results
        while results.count > k { results.popMin() }
        let found = results.count
        var slot = found
        while slot > 0 {
            slot &-= 1
            let key = ~results.popMin()
            ids[slot] = Int32(bitPattern: PackedKey.id(key))
            distances?[slot] = PackedKey.distance(key)
        }
        context.results = results
        return found
    }
}
