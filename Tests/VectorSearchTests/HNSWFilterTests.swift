import Testing
import VectorSearch

@Suite struct HNSWFilterTests {
    static let base = try! clusteredStore(count: 10_000, dimension: 32, clusters: 100, seed: 21)
    static let queries = try! clusteredStore(count: 60, dimension: 32, clusters: 100, seed: 21, stream: 1)
    static let index = try! HNSWIndex.build(base, parameters: HNSWParameters(), threads: 2)

    /// Every `step`-th row, offset by `phase`: a filter of selectivity 1/step spread over all clusters.
    static func allowSet(every step: Int, phase: Int = 0) -> AllowSet {
        AllowSet(stride(from: phase, to: base.count, by: step), nodes: base.count)
    }

    /// Searches every query under `allowed`; returns the recall against the exact answers over the same set,
    /// the paths taken, and whether every id was allowed.
    static func measure(_ allowed: AllowSet, strategy: FilterStrategy, k: Int = 10, ef: Int = 100) -> (recall: Double, paths: Set<FilteredSearchPath>, onlyAllowed: Bool) {
        let context = index.makeContext()
        let exact = ExactSearch(store: base, metric: .cosine)
        var paths = Set<FilteredSearchPath>()
        var found: [Int32] = []
        var truth: [Int32] = []
        let members = allowed.ids.map { Int32($0) }
        for query in 0..<queries.count {
            var ids = [Int32](repeating: -1, count: k)
            let outcome = index.search(queries.row(query), k: k, ef: ef, allowing: allowed, strategy: strategy, context: context, ids: &ids)
            paths.insert(outcome.path)
            found += ids
            truth += members.withUnsafeBufferPointer { exact.search(queries.row(query), k: k, candidates: $0).ids }
        }
        let onlyAllowed = found.allSatisfy { $0 >= 0 && allowed.contains(Int($0)) }
        return (recall(found: found, exact: truth, k: k), paths, onlyAllowed)
    }

    @Test(arguments: [FilterStrategy.automatic, .graph, .exact])
    func onePercentFilter(strategy: FilterStrategy) {
        let result = Self.measure(Self.allowSet(every: 100, phase: 7), strategy: strategy)
        #expect(result.onlyAllowed)
        #expect(result.recall >= 0.95)
        #expect(result.paths == [strategy == .graph ? .graph : .exact])
    }

    @Test(arguments: [FilterStrategy.automatic, .graph, .exact])
    func fiftyPercentFilter(strategy: FilterStrategy) {
        let result = Self.measure(Self.allowSet(every: 2, phase: 1), strategy: strategy)
        #expect(result.onlyAllowed)
        #expect(result.recall >= 0.95)
        // 5,000 allowed rows exceed the exact threshold at ef 100 (max(3,200, √(1,600 · 10,000)) = 4,000).
        #expect(result.paths.isSubset(of: strategy == .exact ? [.exact] : [.graph, .graphThenExact]))
    }

    @Test func aTinySetReturnsFewerThanK() {
        let allowed = AllowSet([5, 17, 4_000], nodes: Self.base.count)
        let context = Self.index.makeContext()
        var ids = [Int32](repeating: -1, count: 10)
        let outcome = Self.index.search(Self.queries.row(0), k: 10, ef: 40, allowing: allowed, context: context, ids: &ids)
        #expect(outcome.found == 3 && outcome.path == .exact)
        #expect(Set(ids.prefix(3)) == [5, 17, 4_000] && ids[3...].allSatisfy { $0 == -1 })
    }

    @Test func allowSetsAreSortedAndDeduplicated() {
        let allowed = AllowSet([9, 3, 9, 64, 0], nodes: 100)
        #expect(allowed.ids == [0, 3, 9, 64])
        #expect(allowed.contains(64) && !allowed.contains(65) && !allowed.contains(100) && !allowed.contains(-1))
        #expect(allowed.selectivity(of: 100) == 0.04)
    }
}
