
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
        let path = self.parameters.withKernel(FilteredSearch(index: self, plan: plan, k: k, allowed: allowed, context: context))
        return (self.graph.drainResults(context, k: k, ids: ids, distances: distances), path)
    }

    private struct FilteredSearch: KernelTask {
        let index: HNSWIndex
        let plan: (path: FilteredSearchPath, ef: Int, budget: Int)
        let k: Int
        let allowed: AllowSet
        let context: HNSWSearchContext

        func callAsFunction<Kernel: MetricKernel>(_: Kernel.Type) -> FilteredSearchPath {
            self.index.run(self.plan, Kernel.self, k: self.k, allowed: self.allowed, context: self.context)
        }
    }

    /// Carries out a plan, leaving the `k` nearest allowed nodes in `context.results`; returns the path taken.
    private func run<Kernel: MetricKernel>(
        _ plan: (path: FilteredSearchPath, ef: Int, budget: Int), _: Kernel.Type, k: Int, allowed: AllowSet,
        context: HNSWSearchContext
    ) -> FilteredSearchPath {
        if plan.path == .graph, self.walkFiltered(Kernel.self, ef: plan.ef, allowed: allowed, budget: plan.budget, context: context) {
            return .graph
        }
        self.scanAllowed(Kernel.self, k: k, allowed: allowed, context: context)
        return plan.path == .graph ? .graphThenExact : .exact
    }

    /// Exact search over the allowed nodes, prefetching ``HNSWGraph/prefetchRows`` rows ahead; leaves the `k`
    /// nearest in `context.results`.
    private func scanAllowed<Kernel: MetricKernel>(_: Kernel.Type, k: Int, allowed: AllowSet, context: HNSWSearchContext) {
        let graph = self.graph
        let query = UnsafeRawPointer(context.query)
        let prefetchBytes = graph.prefetchBytes
        let lookahead = graph.prefetchRows
        var results = context.results
        results.removeAll()
        allowed.ids.withUnsafeBufferPointer { members in
            for index in 0..<min(lookahead, members.count) { graph.prefetchVector(members[index], bytes: prefetchBytes) }
            for index in 0..<members.count {
                if index + lookahead < members.count { graph.prefetchVector(members[index + lookahead], bytes: prefetchBytes) }
                let node = members[index]
                if let growth = self.growth, growth.isDeleted(node) { continue }
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

    /// hnswlib's filtered search: descend unfiltered, then walk layer 0 admitting only allowed nodes to the
    /// results. Returns false when it measured more than `budget` nodes.
    private func walkFiltered<Kernel: MetricKernel>(
        _: Kernel.Type, ef: Int, allowed: AllowSet, budget: Int, context: HNSWSearchContext
    ) -> Bool {
        allowed.bits.withUnsafeBufferPointer { bits in
            self.searchFromTop(Kernel.self, filter: AllowedBits(words: bits), ef: ef, budget: budget, context: context)
        }
    }
}
