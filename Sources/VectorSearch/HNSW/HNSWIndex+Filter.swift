
extension HNSWIndex {
    /// The `k` nearest allowed nodes, nearest first, into `ids` (and `distances`); returns how many were found
    /// and the plan that found them.
    ///
    /// The plan, with `strategy` `.automatic` (shared/notes/hnsw.md §6): an unfiltered search at `ef` measures
    /// about `16·ef` nodes, so a set below `max(32·ef, √(16·ef·n))` is searched exactly (recall 1, and always
    /// the case for one user's rows). Larger sets get a graph walk that expands every node but admits only
    /// allowed ones and stops once it holds `ef` of them, with `ef` widened by `1/√selectivity`; a walk that
    /// measures more nodes than the set holds is abandoned for the exact search (Lucene's rule), so the cost
    /// stays within about twice the exact search.
    public func search(
        _ query: UnsafePointer<Float>, k: Int, ef: Int, allowing allowed: AllowSet, strategy: FilterStrategy = .automatic,
        context: HNSWSearchContext, ids: UnsafeMutablePointer<Int32>, distances: UnsafeMutablePointer<Float>? = nil
    ) -> (found: Int, path: FilteredSearchPath) {
        precondition(k >= 1, "k must be at least 1")
        self.prepare(query, in: context)
        let ef = max(ef, k)
        let plan: (path: FilteredSearchPath, ef: Int, budget: Int)
        switch strategy {
        case .exact: plan = (.exact, ef, 0)
        case .graph: plan = (.graph, ef, .max)
        case .automatic:
            let expected = 16.0 * Double(ef)
            let threshold = max(2 * expected, (expected * Double(self.count)).squareRoot())
            if Double(allowed.count) <= threshold {
                plan = (.exact, ef, 0)
            } else {
                let widened = Double(ef) / allowed.selectivity(of: self.count).squareRoot()
                plan = (.graph, min(Int(widened.rounded(.up)), allowed.count), allowed.count)
            }
        }
        var path = plan.path
        if path == .graph {
            let finished: Bool = switch self.parameters.metric {
            case .cosine: self.walkFiltered(CosineKernel.self, ef: plan.ef, allowed: allowed, budget: plan.budget, context: context)
            case .l2: self.walkFiltered(L2Kernel.self, ef: plan.ef, allowed: allowed, budget: plan.budget, context: context)
            case .innerProduct: self.walkFiltered(InnerProductKernel.self, ef: plan.ef, allowed: allowed, budget: plan.budget, context: context)
            }
            if !finished { path = .graphThenExact }
        }
        if path != .graph {
            switch self.parameters.metric {
            case .cosine: self.scanAllowed(CosineKernel.self, k: k, allowed: allowed, context: context)
            case .l2: self.scanAllowed(L2Kernel.self, k: k, allowed: allowed, context: context)
            case .innerProduct: self.scanAllowed(InnerProductKernel.self, k: k, allowed: allowed, context: context)
            }
        }
        return (self.graph.drainResults(context, k: k, ids: ids, distances: distances), path)
    }

    /// Exact search over the allowed nodes, prefetching a few rows ahead; leaves the `k` nearest in
    /// `context.results`.
    private func scanAllowed<Kernel: MetricKernel>(_: Kernel.Type, k: Int, allowed: AllowSet, context: HNSWSearchContext) {
        let graph = self.graph
        let query = UnsafePointer(context.query)
        let prefetchBytes = graph.prefetchBytes
        let lookahead = 4
        var results = context.results
        results.removeAll()
        allowed.ids.withUnsafeBufferPointer { members in
            for index in 0..<min(lookahead, members.count) { graph.prefetchVector(members[index], bytes: prefetchBytes) }
            for index in 0..<members.count {
                if index + lookahead < members.count { graph.prefetchVector(members[index + lookahead], bytes: prefetchBytes) }
                let node = members[index]
                let d = Kernel.distance(query, graph.vector(node), graph.dimension)
                let key = PackedKey.make(d, node)
                if results.count < k {
                    results.push(~key)
                } else if key < ~results.min {
                    results.popMin()
                    results.push(~key)
                }
            }
        }
        context.results = results
        context.distanceCount &+= allowed.count
    }

    /// hnswlib's filtered search: descend unfiltered, then walk layer 0 expanding every node but admitting
    /// only allowed ones to the results, stopping when it holds `ef` allowed nodes and the next candidate is
    /// farther than all of them. Returns false, leaving nothing useful in `context`, when it measured more
    /// than `budget` nodes.
    private func walkFiltered<Kernel: MetricKernel>(
        _: Kernel.Type, ef: Int, allowed: AllowSet, budget: Int, context: HNSWSearchContext
    ) -> Bool {
        let graph = self.graph
        let reader = SharedLinks(graph: graph)
        let query = UnsafePointer(context.query)
        let start = graph.descend(
            Kernel.self, reader, query: query, entry: self.entryPoint,
            distance: Kernel.distance(query, graph.vector(self.entryPoint), graph.dimension),
            from: self.maxLevel, downTo: 0, context: context)
        return allowed.bits.withUnsafeBufferPointer { bits in
            @inline(__always) func isAllowed(_ id: UInt32) -> Bool { bits[Int(id >> 6)] & (1 << UInt64(id & 63)) != 0 }
            var visited = context.visited
            var candidates = context.candidates
            var results = context.results
            visited.startSearch()
            candidates.removeAll()
            results.removeAll()
            _ = visited.insert(start.id)
            candidates.push(PackedKey.make(start.distance, start.id))
            if isAllowed(start.id) { results.push(~PackedKey.make(start.distance, start.id)) }
            var bound = results.isEmpty ? Float.infinity : start.distance
            var computed = 0
            let fresh = context.fresh
            let prefetchBytes = graph.prefetchBytes
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
                let (ids, count) = reader.neighbours(of: PackedKey.id(nearest), level: 0)
                var unvisited = 0
                for j in 0..<count where visited.insert(ids[j]) {
                    fresh[unvisited] = ids[j]
                    unvisited &+= 1
                    graph.prefetchVector(ids[j], bytes: prefetchBytes)
                }
                computed &+= unvisited
                if computed > budget { return false }
                for j in 0..<unvisited {
                    let neighbour = fresh[j]
                    let d = Kernel.distance(query, graph.vector(neighbour), graph.dimension)
                    guard results.count < ef || d < bound else { continue }
                    let key = PackedKey.make(d, neighbour)
                    candidates.push(key)
                    guard isAllowed(neighbour) else { continue }
                    results.push(~key)
                    if results.count > ef { results.popMin() }
                    bound = PackedKey.distance(~results.min)
                }
            }
            return true
        }
    }
}
