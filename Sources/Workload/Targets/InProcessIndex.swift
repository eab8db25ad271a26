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
    public init(catalog: DatasetCatalog, configuration: Scenario.IndexConfiguration) throws {
        let parameters = HNSWParameters(metric: catalog.manifest.metric, m: configuration.m, efConstruction: configuration.efConstruction)
        let clock = ContinuousClock()
        let started = clock.now
        do {
            self.index = try HNSWIndex.build(catalog.base, parameters: parameters)
        } catch let error as VectorSearchError {
            throw WorkloadError(error.kind == .badInput ? .badInput : .runtime, error.message)
        }
        self.buildSeconds = (clock.now - started).inSeconds
        self.efSearch = configuration.efSearch
    }

    /// Builds the index a scenario asks for, saying so in the log.
    public convenience init(catalog: DatasetCatalog, scenario: Scenario, logger: Logger) throws {
        logger.info("building the in-process HNSW index (m \(scenario.index.m), ef_construction \(scenario.index.efConstruction)) over \(catalog.base.count) vectors")
        try self.init(catalog: catalog, configuration: scenario.index)
        logger.info("built in \(String(format: "%.1f", self.buildSeconds)) s")
    }

    /// Whether the index can answer `operation`.
    public static func serves(_ operation: OperationSpec) -> Bool { operation.kind.isVectorSearch }
}
