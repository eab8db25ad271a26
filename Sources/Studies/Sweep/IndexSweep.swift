import Datasets
import Foundation
import Results
import VectorSearch
import Workload

/// The in-process side of a sweep: builds an HNSW index per (m, ef_construction) on all cores;
/// ``SweepMeasurement`` then searches it at each ef_search.
struct IndexSweep {
    let catalog: DatasetCatalog

    func build(_ key: BuildKey, threads: Int) throws -> (index: InProcessIndex, result: BuildResult) {
        let parameters = HNSWParameters(metric: self.catalog.manifest.metric, m: key.m, efConstruction: key.efConstruction)
        let started = ContinuousClock.now
        let index: HNSWIndex
        do {
            index = try HNSWIndex.build(self.catalog.base, parameters: parameters, threads: threads)
        } catch let error as VectorSearchError {
            throw WorkloadError(error.kind == .badInput ? .badInput : .runtime, error.message)
        }
        let seconds = (ContinuousClock.now - started).inSeconds
        return (InProcessIndex(index: index, efSearch: 0, buildSeconds: seconds), BuildResult(target: .index, build: key, buildSeconds: seconds, indexBytes: index.bytes))
    }
}
