import Datasets
import Foundation
import Logging
import VectorSearch

/// The in-process HNSW index over a dataset's memory embeddings, built with the scenario's parameters. It
/// serves the vector operations (with the same user and content-type filters as the SQL); the others need
/// the relational data and are reported as not served.
public final class InProcessIndex: Sendable {
    public let index: HNSWIndex
    public let efSearch: Int
    public let buildSeconds: Double

    /// Builds the index on all cores.
    /// - Parameter progress: called now and then with the vectors inserted so far.
    public init(catalog: DatasetCatalog, configuration: Scenario.IndexConfiguration, progress: (@Sendable (Int) -> Void)? = nil) throws {
        let parameters = HNSWParameters(
            metric: catalog.manifest.metric, m: configuration.m, efConstruction: configuration.efConstruction, precision: configuration.precision)
        let clock = ContinuousClock()
        let started = clock.now
        do {
            if configuration.growing {
                // Inserts take the dataset's rows after those present: the index has room for every row.
                let rows = try VectorFiles.mapFbin(catalog.directory.appendingPathComponent("base.fbin").path)
                let present = catalog.presentRows
                self.index = try HNSWIndex.growing(rows, initial: present.upperBound, parameters: parameters, progress: progress)
                for row in 0..<present.lowerBound { self.index.markDeleted(row) }
            } else {
                self.index = try HNSWIndex.build(catalog.base, parameters: parameters, progress: progress)
            }
        } catch let error as VectorSearchError {
            throw WorkloadError(error.kind == .badInput ? .badInput : .runtime, error.message)
        }
        self.buildSeconds = (clock.now - started).inSeconds
        self.efSearch = configuration.efSearch
    }

    /// An index already built (a sweep searches one build at several `ef_search`).
    public init(index: HNSWIndex, efSearch: Int, buildSeconds: Double) {
        self.index = index
        self.efSearch = efSearch
        self.buildSeconds = buildSeconds
    }

    /// Builds the index a scenario asks for, saying so in the log, with how far it is every ten seconds (a
    /// build over 1M × 1536 takes 15 minutes on two cores).
    public convenience init(catalog: DatasetCatalog, scenario: Scenario, logger: Logger) throws {
        let total = catalog.base.count
        let precision = scenario.index.precision == .float16 ? ", half precision" : ""
        logger.info("building the in-process HNSW index (m \(scenario.index.m), ef_construction \(scenario.index.efConstruction)\(precision)) over \(total) vectors")
        let started = ContinuousClock.now
        let progress = everyTenSeconds { done in
            let rate = Double(done) / max((ContinuousClock.now - started).inSeconds, 1e-9)
            logger.info("in-process HNSW index: \(done) of \(total) vectors, \(Int(rate))/s, ETA \(Int(Double(total - done) / max(rate, 1e-9))) s")
        }
        try self.init(catalog: catalog, configuration: scenario.index, progress: progress)
        logger.info("built in \(String(format: "%.1f", self.buildSeconds)) s")
    }

    /// Whether an index storing `precision` answers `operation`: vector searches on `vector` in single
    /// precision, on `halfvec` in half (it has no binary quantization); inserts and deletes when it grows.
    public static func serves(_ operation: OperationSpec, precision: VectorPrecision, growing: Bool = false) -> Bool {
        if operation.kind == .insertMemory || operation.kind == .deleteMemory { return growing }
        return operation.kind.isVectorSearch && operation.vectorType == self.vectorType(of: precision)
    }

    /// The searches an index storing `precision` answers.
    public static func vectorType(of precision: VectorPrecision) -> VectorType { precision == .float16 ? .halfvec : .vector }
}
