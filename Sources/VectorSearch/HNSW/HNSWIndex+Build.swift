import Dispatch
import Synchronization

extension HNSWIndex {
    /// Builds an index over every row of `vectors` (copied in, normalised for cosine) on `threads` threads.
    ///
    /// The graph rules are hnswlib's, for recall parity (shared/notes/hnsw.md §1.2): a new node links to at
    /// most `m` neighbours chosen by the paper's heuristic from `ef_construction` candidates; each of them
    /// links back, and a full list is pruned with the same heuristic (to `2m` on layer 0, `m` above).
    /// Levels come from the seed and the node id, and the node with the highest level is inserted first, so
    /// the entry point never moves and no global lock is needed. One thread gives the same graph every time;
    /// more threads interleave insertions differently but reach the same recall.
    ///
    /// - Parameter progress: called now and then with the number of nodes inserted, from a build thread.
    /// - Throws: ``VectorSearchError`` (bad input) for bad parameters, no vectors, a vector with NaN or
    ///   an infinity, or an index bigger than the memory available (checked before anything is allocated).
    public static func build(
        _ vectors: VectorStore, parameters: HNSWParameters, threads: Int = ExactSearch.defaultThreads,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> HNSWIndex {
        try self.build(vectors, parameters: parameters, threads: threads, initial: nil, progress: progress)
    }

    /// Builds over every row, or, with `initial`, a growing index over the first `initial` rows with room for
    /// every row.
    static func build(
        _ vectors: VectorStore, parameters: HNSWParameters, threads: Int, initial: Int?, progress: (@Sendable (Int) -> Void)?
    ) throws -> HNSWIndex {
        try parameters.validate()
        guard vectors.count > 0 else { throw VectorSearchError(.badInput, "there are no vectors to index") }
        guard vectors.count < Int(UInt32.max) else { throw VectorSearchError(.badInput, "\(vectors.count) vectors are more than an index holds") }
        let needed = HNSWGraph.estimatedBytes(count: vectors.count, dimension: vectors.dimension, m: parameters.m, precision: parameters.precision)
        if let available = SystemMemory.availableBytes(), needed > available {
            throw VectorSearchError(.badInput, "an HNSW index of \(vectors.count) × \(vectors.dimension) vectors (m \(parameters.m)) needs about \(SystemMemory.gigabytes(needed)) of memory and \(SystemMemory.gigabytes(available)) is available; nothing was built")
        }
        try vectors.requireFinite(name: "base vector")
        let levels = (0..<vectors.count).map { UInt8(clamping: parameters.level(of: $0)) }
        let rows = initial ?? vectors.count
        let index = try HNSWIndex(
            parameters: parameters, dimension: vectors.dimension, levels: levels, growing: initial.map { (vectors, $0) })
        try index.copyVectors(vectors, rows: rows)
        parameters.withKernel(InsertAll(index: index, rows: rows, threads: threads, progress: progress))
        index.growth?.inserted.store(rows, ordering: .relaxed)
        return index
    }

    /// Copies the first `rows` rows of `vectors` into the records. In half precision every row is checked,
    /// those a growing index inserts later too, so a row it cannot hold is refused before anything is built.
    /// - Throws: ``VectorSearchError`` (bad input) for a component half precision cannot hold.
    private func copyVectors(_ vectors: VectorStore, rows: Int) throws {
        let staging = UnsafeMutablePointer<Float>.allocate(capacity: self.dimension)
        defer { staging.deallocate() }
        let half = self.parameters.precision == .float16
        let read = half ? vectors.count : rows
        vectors.advise(.sequential, rows: 0..<read)
        for row in 0..<read {
            self.stage(row, from: vectors, into: staging)
            if half, let column = VectorPrecision.firstBeyondHalfRange(staging, count: self.dimension) {
                throw VectorSearchError(.badInput, "base vector \(row) has \(staging[column]) at dimension \(column), beyond half precision's ±65504 (pgvector's halfvec refuses it too)")
            }
            if row < rows { self.parameters.precision.encode(staging, into: self.graph.vector(UInt32(row)), count: self.dimension) }
        }
        // The index has its own copy: a mapped file's pages need not stay in this process.
        vectors.advise(.done, rows: 0..<read)
    }

    /// Writes row `row` of `vectors` into its record: normalised for cosine, in the index's precision.
    func copyVector(_ row: Int, from vectors: VectorStore, staging: UnsafeMutablePointer<Float>) {
        self.stage(row, from: vectors, into: staging)
        self.parameters.precision.encode(staging, into: self.graph.vector(UInt32(row)), count: self.dimension)
    }

    /// Row `row` of `vectors` in single precision as the index compares it (normalised for cosine).
    private func stage(_ row: Int, from vectors: VectorStore, into staging: UnsafeMutablePointer<Float>) {
        staging.update(from: vectors.row(row), count: self.dimension)
        if self.parameters.metric.normalizes { DistanceKernels.normalize(staging, count: self.dimension) }
    }

    private struct InsertAll: KernelTask {
        let index: HNSWIndex
        let rows: Int
        let threads: Int
        let progress: (@Sendable (Int) -> Void)?

        func callAsFunction<Kernel: MetricKernel>(_: Kernel.Type) {
            self.index.insertAll(Kernel.self, rows: self.rows, threads: self.threads, progress: self.progress)
        }
    }

    /// Nodes inserted between progress reports.
    private static let progressInterval = 4096

    /// Inserts the first `rows` nodes but the entry point, threads taking the next row from a shared counter
    /// (hnswlib's `ParallelFor`). With fewer than four rows per thread one thread does it all, as in hnswlib.
    /// A growing index keeps its locks for later inserts.
    private func insertAll<Kernel: MetricKernel>(_: Kernel.Type, rows: Int, threads: Int, progress: (@Sendable (Int) -> Void)?) {
        let locks = self.growth?.locks ?? NodeLocks(count: self.count)
        defer { if self.growth == nil { locks.deallocate() } }
        let next = Atomic<Int>(0)
        let entryPoint = Int(self.entryPoint)
        let workers = rows < 4 * threads ? 1 : max(1, threads)
        let selectionSize = max(self.parameters.efConstruction, self.parameters.m) + 1
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let context = self.makeContext()
            context.reserveSelection(selectionSize)
            while true {
                let row = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard row < rows else { break }
                if row != entryPoint { self.insert(Kernel.self, UInt32(row), context: context, locks: locks) }
                if let progress, (row + 1) % Self.progressInterval == 0 { progress(row + 1) }
            }
        }
        progress?(rows)
    }

    /// Inserts one node (hnswlib's `addPoint`): greedy descent to its top layer, then on each layer from
    /// there down (from the index's top layer, for a node above it) a search with `ef_construction` and the
    /// linking.
    func insert<Kernel: MetricKernel>(_: Kernel.Type, _ node: UInt32, context: HNSWSearchContext, locks: NodeLocks) {
        let graph = self.graph
        let reader = LockedLinks(graph: graph, locks: locks, copy: context.links)
        let query = UnsafeRawPointer(graph.vector(node))
        let top = Int(graph.levels[Int(node)])
        let ef = max(self.parameters.efConstruction, self.parameters.m)
        let start = self.top
        var (entry, entryDistance) = graph.descend(
            Kernel.self, reader, query: query, entry: start.entry,
            distance: Kernel.distance(query, graph.vector(start.entry), graph.dimension),
            from: start.level, downTo: top, context: context)
        var level = min(top, start.level)
        while level >= 0 {
            _ = graph.searchLayer(Kernel.self, reader, query: query, entry: entry, entryDistance: entryDistance, level: level, ef: ef, context: context)
            entry = self.connect(Kernel.self, node, level: level, context: context, locks: locks)
            entryDistance = Kernel.distance(query, graph.vector(entry), graph.dimension)
            level -= 1
        }
    }

    /// Links `node` on `level` to the heuristic's choice among the search results in `context`, and each of
    /// those back to `node` (hnswlib's `mutuallyConnectNewElement`). Returns the nearest chosen neighbour,
    /// where the search on the layer below starts.
    ///
    /// Lists are written farthest first, as hnswlib writes them: a search measures a node's neighbours in
    /// list order, and admitting the far ones before the near ones tighten the bound explores a little more,
    /// which is worth about 0.01 of recall at low `ef`.
    private func connect<Kernel: MetricKernel>(
        _: Kernel.Type, _ node: UInt32, level: Int, context: HNSWSearchContext, locks: NodeLocks
    ) -> UInt32 {
        let graph = self.graph
        // The search results, nearest first (the heap pops the farthest first).
        let sorted = context.selection
        var results = context.results
        let total = results.count
        var slot = total
        while !results.isEmpty {
            slot -= 1
            sorted[slot] = ~results.popMin()
        }
        context.results = results
        var found = 0
        for index in 0..<total where PackedKey.id(sorted[index]) != node {
            sorted[found] = sorted[index]
            found += 1
        }
        guard found > 0 else { return self.entryPoint }
        let chosen = self.selectNeighbours(Kernel.self, sorted, count: found, limit: self.parameters.m)
        locks.lock(node)
        let own = graph.list(node, level: level)
        for index in 0..<chosen { own[chosen - index] = PackedKey.id(sorted[index]) }
        own.pointee = UInt32(chosen)
        locks.unlock(node)
        let capacity = graph.capacity(level: level)
        for index in 0..<chosen {
            let neighbour = PackedKey.id(sorted[index])
            locks.lock(neighbour)
            let list = graph.list(neighbour, level: level)
            let linked = Int(list.pointee)
            if linked < capacity {
                list[1 + linked] = node
                list.pointee = UInt32(linked + 1)
            } else {
                self.prune(Kernel.self, neighbour, list: list, adding: node, capacity: capacity, context: context)
            }
            locks.unlock(neighbour)
        }
        return PackedKey.id(sorted[0])
    }

    /// Rewrites `owner`'s full list as the heuristic's choice among its links and `node` (the caller holds
    /// `owner`'s lock).
    private func prune<Kernel: MetricKernel>(
        _: Kernel.Type, _ owner: UInt32, list: UnsafeMutablePointer<UInt32>, adding node: UInt32, capacity: Int,
        context: HNSWSearchContext
    ) {
        let graph = self.graph
        let origin = UnsafeRawPointer(graph.vector(owner))
        let keys = context.pruning
        keys[0] = PackedKey.make(Kernel.distance(origin, graph.vector(node), graph.dimension), node)
        for index in 0..<capacity {
            let linked = list[1 + index]
            keys[1 + index] = PackedKey.make(Kernel.distance(origin, graph.vector(linked), graph.dimension), linked)
        }
        Self.sort(keys, count: capacity + 1)
        let kept = self.selectNeighbours(Kernel.self, keys, count: capacity + 1, limit: capacity)
        for index in 0..<kept { list[kept - index] = PackedKey.id(keys[index]) }
        list.pointee = UInt32(kept)
    }

    /// The paper's neighbour-selection heuristic (hnswlib's `getNeighborsByHeuristic2`): walking the
    /// candidates nearest first, keep one only if it is closer to the origin than to every one kept so far,
    /// up to `limit`. Links then spread in all directions instead of bunching in one cluster. Fewer than
    /// `limit` candidates are all kept. Compacts the kept keys to the front of `keys`; returns their number.
    private func selectNeighbours<Kernel: MetricKernel>(
        _: Kernel.Type, _ keys: UnsafeMutablePointer<UInt64>, count: Int, limit: Int
    ) -> Int {
        guard count >= limit else { return count }
        let graph = self.graph
        var kept = 0
        for index in 0..<count {
            let candidate = keys[index]
            let toOrigin = PackedKey.distance(candidate)
            let row = UnsafeRawPointer(graph.vector(PackedKey.id(candidate)))
            var diverse = true
            for other in 0..<kept where Kernel.distance(row, graph.vector(PackedKey.id(keys[other])), graph.dimension) < toOrigin {
                diverse = false
                break
            }
            guard diverse else { continue }
            keys[kept] = candidate
            kept += 1
            if kept == limit { break }
        }
        return kept
    }

    /// Insertion sort of a short list of keys (at most `2m + 1`).
    private static func sort(_ keys: UnsafeMutablePointer<UInt64>, count: Int) {
        for index in 1..<max(count, 1) {
            let key = keys[index]
            var position = index
            while position > 0 && keys[position - 1] > key {
                keys[position] = keys[position - 1]
                position -= 1
            }
            keys[position] = key
        }
    }
}
