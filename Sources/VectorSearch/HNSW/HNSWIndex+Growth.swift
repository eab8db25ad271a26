import Synchronization

/// What a growing index keeps beside its graph: where new rows come from, the node locks searches and
/// inserts share, which nodes are in and which are deleted.
///
/// A growing index is made for a dataset whose rows arrive in order (a runbook's inserts) and leave from the
/// oldest (its deletes): records, levels and upper-layer room exist for every row from the start, so an
/// insert allocates nothing and never moves memory a search is reading.
final class HNSWGrowth: @unchecked Sendable {
    /// The rows inserts copy from (mapped from the dataset's file: nothing is read before its insert).
    let source: VectorStore
    let locks: NodeLocks
    /// One bit per node: set once the node is deleted. Searches still walk through deleted nodes (the graph
    /// stays connected, as hnswlib's `markDelete` keeps it) but never return them.
    let deleted: UnsafeMutablePointer<Atomic<UInt64>>
    private let words: Int
    /// Nodes inserted so far (the initial ones included).
    let inserted = Atomic<Int>(0)
    /// Held by an insert that raises the top layer, for its whole insertion (hnswlib's global lock).
    let topChange = Mutex<Void>(())

    init(source: VectorStore, nodes: Int) {
        self.source = source
        self.locks = NodeLocks(count: nodes)
        self.words = (nodes + 63) / 64
        self.deleted = .allocate(capacity: max(self.words, 1))
        for word in 0..<max(self.words, 1) { (self.deleted + word).initialize(to: Atomic(0)) }
    }

    deinit {
        self.locks.deallocate()
        self.deleted.deallocate()
    }

    @inline(__always)
    func isDeleted(_ id: UInt32) -> Bool {
        self.deleted[Int(truncatingIfNeeded: id >> 6)].load(ordering: .relaxed) & (1 << UInt64(id & 63)) != 0
    }
}

/// The nodes a growing index has not deleted.
struct LiveNodes: NodeFilter {
    let growth: HNSWGrowth

    @inline(__always)
    func admits(_ id: UInt32) -> Bool { !self.growth.isDeleted(id) }
}

/// Nodes both filters admit.
struct BothFilters<First: NodeFilter, Second: NodeFilter>: NodeFilter {
    let first: First
    let second: Second

    @inline(__always)
    func admits(_ id: UInt32) -> Bool { self.first.admits(id) && self.second.admits(id) }
}

extension HNSWIndex {
    /// An index over the first `initial` rows of `vectors` with room for every row: ``insert(_:context:)`` adds
    /// the others later, one at a time in any order, while other threads search; ``markDeleted(_:)`` hides a
    /// row from every later answer. Built as ``build(_:parameters:threads:progress:)`` builds (the same levels,
    /// so the first `initial` rows give the graph a build over them alone would give, on one thread).
    ///
    /// Memory is taken for all of `vectors` at once; their rows are read when inserted.
    /// - Throws: ``VectorSearchError`` (bad input) as `build` does, and for `initial` outside `1...vectors.count`.
    public static func growing(
        _ vectors: VectorStore, initial: Int, parameters: HNSWParameters, threads: Int = ExactSearch.defaultThreads,
        progress: (@Sendable (Int) -> Void)? = nil
    ) throws -> HNSWIndex {
        guard (1...max(vectors.count, 1)).contains(initial), vectors.count > 0 else {
            throw VectorSearchError(.badInput, "a growing index starts with 1 to \(vectors.count) rows, not \(initial)")
        }
        return try self.build(vectors, parameters: parameters, threads: threads, initial: initial, progress: progress)
    }

    /// Whether rows can still be inserted and deleted (``growing(_:initial:parameters:threads:progress:)``).
    public var isGrowing: Bool { self.growth != nil }

    /// Nodes inserted so far: every node of an index that does not grow.
    public var insertedCount: Int { self.growth?.inserted.load(ordering: .relaxed) ?? self.count }

    /// Inserts row `row` of the vectors the index grows from. Safe while other threads search or insert;
    /// `context` is the calling thread's.
    /// - Precondition: the index is growing and `row` was not inserted before.
    public func insert(_ row: Int, context: HNSWSearchContext) {
        guard let growth = self.growth else { preconditionFailure("insert into an index that does not grow") }
        precondition(row >= 0 && row < self.count, "row \(row) is not a row of a \(self.count)-row index")
        context.reserveSelection(max(self.parameters.efConstruction, self.parameters.m) + 1)
        self.copyVector(row, from: growth.source, staging: context.staging)
        let node = UInt32(row)
        if Int(self.graph.levels[row]) > self.top.level {
            // The node will be the new entry point: no other insert may descend from the old one meanwhile.
            growth.topChange.withLock { _ in
                self.parameters.withKernel(InsertOne(index: self, node: node, context: context, locks: growth.locks))
                if Int(self.graph.levels[row]) > self.top.level { self.setTop(entry: node, level: Int(self.graph.levels[row])) }
            }
        } else {
            self.parameters.withKernel(InsertOne(index: self, node: node, context: context, locks: growth.locks))
        }
        growth.inserted.add(1, ordering: .relaxed)
    }

    /// Hides row `row` from every search that starts after this returns. Its node stays in the graph.
    /// - Precondition: the index is growing.
    public func markDeleted(_ row: Int) {
        guard let growth = self.growth else { preconditionFailure("delete from an index that does not grow") }
        precondition(row >= 0 && row < self.count, "row \(row) is not a row of a \(self.count)-row index")
        growth.deleted[row >> 6].bitwiseOr(1 << UInt64(row & 63), ordering: .relaxed)
    }

    /// Whether row `row` was deleted (always false for an index that does not grow).
    public func isDeleted(_ row: Int) -> Bool { self.growth?.isDeleted(UInt32(row)) ?? false }

    private struct InsertOne: KernelTask {
        let index: HNSWIndex
        let node: UInt32
        let context: HNSWSearchContext
        let locks: NodeLocks

        func callAsFunction<Kernel: MetricKernel>(_: Kernel.Type) {
            self.index.insert(Kernel.self, self.node, context: self.context, locks: self.locks)
        }
    }
}
