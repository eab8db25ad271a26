import Datasets
import Foundation
import Results
import VectorSearch
import Workload

/// The in-process side of a sweep: builds an HNSW index per (variant, m, ef_construction) on all cores, in
/// single precision for `vector` and half for `halfvec`; ``SweepMeasurement`` then searches it at each
/// ef_search.
struct IndexSweep {
    let catalog: DatasetCatalog

    func build(_ key: BuildKey, threads: Int) throws -> (index: InProcessIndex, result: BuildResult) {
        precondition(TargetKind.index.builds(key.variant), "the in-process index has no \(key.variant) variant")
        let parameters = HNSWParameters(
            metric: self.catalog.manifest.metric, m: key.m, efConstruction: key.efConstruction,
            precision: key.variant == .halfvec ? .float16 : .float32)
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
