import Datasets
import Foundation
import VectorSearch

/// The in-process side of a sweep: builds an HNSW index per (m, ef_construction) on all cores and measures
/// each ef_search with ``HNSWBenchmark`` (one client query by query, then `clients` threads at once).
struct IndexSweep {
    let catalog: DatasetCatalog
    let queries: SweepQueries
    let clients: Int
    /// Each query's content type as an allowed set over the base rows, made once for every build and point;
    /// nil when the sweep is not filtered.
    let filter: HNSWBenchmark.QueryFilter?
    /// Timed passes per measurement; the median is kept.
    let repeats = 3

    init(catalog: DatasetCatalog, queries: SweepQueries, clients: Int, filtered: Bool) {
        self.catalog = catalog
        self.queries = queries
        self.clients = clients
        self.filter = filtered
            ? HNSWBenchmark.QueryFilter(
                sets: queries.rowsOfType.map { AllowSet($0.map(Int.init), nodes: catalog.base.count) }, setOfQuery: queries.types)
            : nil
    }

    func build(_ key: BuildKey, threads: Int) throws -> (index: HNSWIndex, result: BuildResult) {
        let parameters = HNSWParameters(metric: self.catalog.manifest.metric, m: key.m, efConstruction: key.efConstruction)
        let started = ContinuousClock.now
        let index: HNSWIndex
        do {
            index = try HNSWIndex.build(self.catalog.base, parameters: parameters, threads: threads)
        } catch let error as VectorSearchError {
            throw WorkloadError(error.kind == .badInput ? .badInput : .runtime, error.message)
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        return (index, BuildResult(target: .index, build: key, buildSeconds: seconds, indexBytes: index.bytes))
    }

    func measure(_ index: HNSWIndex, build: BuildKey, efSearch: Int) throws -> PointResult {
        let k = self.queries.k
        let plain = try HNSWBenchmark(
            index: index, queries: self.queries.vectors, groundTruth: self.queries.groundTruth, groundTruthDepth: k, k: k)
            .run(efSearch: [efSearch], threads: self.clients, repeats: self.repeats)[0]
        var point = PointResult(
            target: .index, build: build, efSearch: efSearch, recall: plain.recall, qps1: plain.qps1t, qpsAll: plain.qpsNt,
            p50Us: plain.p50Us, p95Us: plain.p95Us, p99Us: plain.p99Us, plan: nil, filtered: nil)
        if let filter = self.filter {
            let result = try HNSWBenchmark(
                index: index, queries: self.queries.vectors, groundTruth: self.queries.filteredGroundTruth, groundTruthDepth: k, k: k,
                filter: filter
            ).run(efSearch: [efSearch], threads: 1, repeats: 1)[0]
            point.filtered = .init(recall: result.recall, qps1: result.qps1t, p95Us: result.p95Us, plan: nil)
        }
        return point
    }
}
